// The station's ONE window factory (issue S1, part 4; the Electron security checklist in
// docs/references.md). The options are written out literally at the `new BrowserWindow` call so that static
// checkers (Electronegativity) and test/shell/window.test.ts read exactly what Electron receives; the
// constructor is passed in so this file needs no runtime Electron import and tests need no Electron.
import type { BrowserWindow as ElectronWindow, BrowserWindowConstructorOptions } from 'electron';
import { dirname, join } from 'node:path';

export type WindowConstructor<W> = new (options: BrowserWindowConstructorOptions) => W;

export function createStationWindow<W = ElectronWindow>(BrowserWindow: WindowConstructor<W>, preloadPath: string, devTools: boolean): W {
  return new BrowserWindow({
    width: 1200,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'DSKE Station',
    backgroundColor: '#f6f7f9',
    autoHideMenuBar: true,
    // The station icon (assets/icon.png), which the build puts at out/main/icon.png (electron.vite.config.ts), beside out/preload.
    icon: join(dirname(preloadPath), '..', 'main', 'icon.png'),
    webPreferences: {
      // electronegativity PRELOAD_JS_CHECK: the preload is our own bundled, sandboxed script that exposes only the validated station API (src-main/preload).
      preload: preloadPath,
      // Checklist 3/4: isolate the preload's world and sandbox the renderer process.
      contextIsolation: true,
      sandbox: true,
      // Checklist 2: no Node.js anywhere in web content.
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      // Checklist 6/8/9: same-origin policy on, no mixed content, no experimental features.
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      // Checklist 12: a middle click must not open a new window past the window-open handler.
      disableBlinkFeatures: 'Auxclick',
      // Checklist 10: no <webview>.
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools,
    },
  });
}
