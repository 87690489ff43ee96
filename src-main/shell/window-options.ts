// The station's ONE window factory's options (issue S1, part 4; Electron security checklist,
// REFERENCES.md). Pure data so that test/shell/window-options.test.ts checks every item without Electron.
import type { BrowserWindowConstructorOptions } from 'electron';

export function secureWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1200,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'DSKE Station',
    backgroundColor: '#f6f7f9',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      // Checklist 3/4: isolate the preload's world and sandbox the renderer process.
      contextIsolation: true,
      sandbox: true,
      // Checklist 2: no Node.js anywhere in web content.
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      // Checklist 6/8/9: same-origin policy on, no mixed content, no experimental or blink features.
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      // Checklist 10: no <webview>.
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: !isPackagedRelease(),
    },
  };
}

/** DevTools stay available in development and test builds, never in a packaged release. */
function isPackagedRelease(): boolean {
  return process.env.NODE_ENV === 'production' && process.env.DSKE_TEST_BUILD !== '1';
}
