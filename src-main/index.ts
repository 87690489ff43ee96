// The Electron shell, and nothing else (docs/DESIGN.md): lifecycle, the one hardened window, the app
// protocol, and IPC wiring with sender checks. The station itself lives in ./station and knows
// nothing of Electron; every call goes through the same validated dispatch as the browser host and CLI.
import { app, BrowserWindow, ipcMain, protocol, session, type WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { channelNames } from '../src-shared/api/contract';
import { stationApi } from '../src-shared/api/station-api';
import { fail } from '../src-shared/api/result';
import { eventNames } from '../src-shared/api/station-api';
import { APP_ENTRY, APP_SCHEME, APP_SCHEME_PRIVILEGES, appProtocolResponse } from './shell/app-protocol';
import { isAllowedNavigation, isTrustedSender, windowOpenPolicy } from './shell/ipc-policy';
import { createStationWindow } from './shell/window';
import { defaultDataDir } from './station/default-data-dir';
import { openStation, transportContext, type Station } from './station/station';

const rendererDir = fileURLToPath(new URL('../renderer', import.meta.url));
const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
app.enableSandbox();

let station: Station | undefined;
let mainWindow: BrowserWindow | undefined;

function hardenContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => windowOpenPolicy);
}

function createWindow(): BrowserWindow {
  // DevTools only when running unpackaged (development, tests), never in a packaged release.
  const win = createStationWindow(BrowserWindow, preloadPath, !app.isPackaged);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY);
  return win;
}

function wireIpc(s: Station): void {
  // One window, one session: who signed in on it is held here, in main, never in the renderer.
  const transport = transportContext('electron');
  for (const channel of channelNames(stationApi)) {
    ipcMain.handle(channel, (event, args: unknown) => {
      if (!mainWindow || event.sender !== mainWindow.webContents || !isTrustedSender(event.senderFrame, mainWindow.webContents.mainFrame)) {
        return fail('forbidden', 'This request did not come from the station window and was refused.');
      }
      return s.dispatch(channel, args, transport);
    });
  }
  for (const name of eventNames) {
    s.events.on(name, (payload) => {
      if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(`event:${name}`, payload);
    });
  }
}

app.on('web-contents-created', (_event, contents) => hardenContents(contents));

app.whenReady().then(
  () => {
    const ses = session.defaultSession;
    ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    ses.setPermissionCheckHandler(() => false);
    protocol.handle(APP_SCHEME, async (request) => {
      const r = appProtocolResponse(rendererDir, request.url);
      if (!r.filePath) return new Response('Not found', { status: r.status, headers: r.headers });
      return new Response(await readFile(r.filePath), { status: r.status, headers: r.headers });
    });
    station = openStation({ dataDir: process.env.DSKE_STATION_DATA ?? defaultDataDir(), host: 'electron', watchDevicesMs: 3000 });
    wireIpc(station);
    mainWindow = createWindow();
  },
  (e: unknown) => {
    console.error(`The station could not start: ${e instanceof Error ? e.message : String(e)}`);
    app.exit(1);
  },
);

// SIGINT/SIGTERM: running jobs stop cleanly (their end is recorded, their locks released) before exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void (station?.close() ?? Promise.resolve()).finally(() => app.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

app.on('window-all-closed', () => {
  void station?.close().finally(() => app.quit());
});
