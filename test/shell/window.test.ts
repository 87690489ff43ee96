// Every item of the Electron security checklist (docs/references.md) that the window factory and the shell
// own, checked against what the factory really passes to `new BrowserWindow`, and the IPC sender check.
import { readFileSync } from 'node:fs';
import type { BrowserWindowConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { createStationWindow } from '../../src-main/shell/window';
import { isAllowedNavigation, isTrustedSender, windowOpenPolicy } from '../../src-main/shell/ipc-policy';
import { APP_ENTRY, APP_SCHEME_PRIVILEGES, appProtocolResponse, isAppUrl } from '../../src-main/shell/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../src-main/shell/csp';

class RecordingWindow {
  static last: BrowserWindowConstructorOptions | undefined;
  constructor(options: BrowserWindowConstructorOptions) {
    RecordingWindow.last = options;
  }
}

function options(): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  createStationWindow(RecordingWindow, '/app/out/preload/index.cjs', false);
  return RecordingWindow.last!.webPreferences!;
}

describe('the window factory', () => {
  it('isolates the preload context (checklist 3)', () => expect(options().contextIsolation).toBe(true));
  it('sandboxes the renderer (checklist 4)', () => expect(options().sandbox).toBe(true));
  it('gives web content no Node.js (checklist 2)', () => {
    expect(options().nodeIntegration).toBe(false);
    expect(options().nodeIntegrationInWorker).toBe(false);
    expect(options().nodeIntegrationInSubFrames).toBe(false);
  });
  it('keeps web security on and refuses insecure content (checklist 6, 8)', () => {
    expect(options().webSecurity).toBe(true);
    expect(options().allowRunningInsecureContent).toBe(false);
  });
  it('enables no experimental or blink features (checklist 9)', () => {
    expect(options().experimentalFeatures).toBe(false);
    expect(options().enableBlinkFeatures).toBeUndefined();
    expect(options().disableBlinkFeatures).toBe('Auxclick');
  });
  it('allows no <webview> (checklist 10)', () => expect(options().webviewTag).toBe(false));
  it('loads only our bundled preload', () => expect(options().preload).toBe('/app/out/preload/index.cjs'));
  it('does not navigate on drag and drop', () => expect(options().navigateOnDragDrop).toBe(false));
  it('keeps DevTools out of release builds', () => expect(options().devTools).toBe(false));
});

describe('content and navigation (checklist 1, 7, 11, 12, 13, 18)', () => {
  it('has a strict CSP: own origin only, no inline script, no eval, no framing', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*|http:|https:/);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });
  it('serves the UI on app://station, not file://', () => {
    expect(APP_ENTRY).toBe('app://station/index.html');
    expect(APP_SCHEME_PRIVILEGES).toMatchObject({ standard: true, secure: true, bypassCSP: false });
  });
  it('refuses app URLs for other hosts and paths outside the renderer', () => {
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(appProtocolResponse('out/renderer', 'app://station/../package.json').status).toBe(404);
    expect(appProtocolResponse('out/renderer', 'app://station/%2e%2e/%2e%2e/package.json').status).toBe(404);
    expect(appProtocolResponse('out/renderer', 'file:///etc/passwd').status).toBe(404);
  });
  it('denies every navigation and every new window', () => {
    expect(isAllowedNavigation('https://example.com')).toBe(false);
    expect(isAllowedNavigation('app://station/index.html')).toBe(false);
    expect(windowOpenPolicy).toEqual({ action: 'deny' });
  });
  it('wires the policies in the shell: permissions denied, navigation, redirects, windows and webviews blocked, no openExternal', () => {
    const shell = readFileSync('src-main/index.ts', 'utf8');
    expect(shell).toMatch(/setPermissionRequestHandler\(\(_wc, _permission, callback\) => callback\(false\)\)/);
    expect(shell).toMatch(/setPermissionCheckHandler\(\(\) => false\)/);
    for (const hook of ["'will-navigate'", "'will-redirect'", "'will-attach-webview'", 'setWindowOpenHandler', "'web-contents-created'"]) expect(shell).toContain(hook);
    expect(shell).not.toMatch(/openExternal|loadFile|file:\/\//);
    expect(shell).toContain('app.enableSandbox()');
    expect(shell).toContain('loadURL(APP_ENTRY)');
  });
});

describe('the IPC sender check (checklist 17)', () => {
  const top = { url: 'app://station/index.html', parent: null };
  it('accepts the main frame of our window on our origin', () => expect(isTrustedSender(top, top)).toBe(true));
  it('refuses a sub-frame', () => expect(isTrustedSender({ url: 'app://station/index.html', parent: top })).toBe(false));
  it('refuses a frame that is not the window’s main frame', () => expect(isTrustedSender({ url: 'app://station/index.html', parent: null }, top)).toBe(false));
  it('refuses a foreign origin', () => {
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'file:///tmp/x.html', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'app://station.evil/index.html', parent: null })).toBe(false);
  });
  it('refuses a missing (destroyed) frame', () => {
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
  });
  it('is applied to every channel before dispatch in the shell', () => {
    const shell = readFileSync('src-main/index.ts', 'utf8');
    expect(shell).toMatch(/isTrustedSender\(event\.senderFrame, mainWindow\.webContents\.mainFrame\)[\s\S]*return s\.dispatch\(channel, args, transport\)/);
  });
});
