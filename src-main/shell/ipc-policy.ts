// Who may call the station over IPC (Electron checklist 17: "validate the sender of all IPC messages";
// VS Code's validatedIpcMain): only the main frame of our own window, showing our own app origin.
// Sub-frames, other origins and destroyed frames are refused before the argument is even looked at.
import { isAppUrl } from './app-protocol';

/** The parts of Electron's WebFrameMain the check needs (so tests need no Electron). */
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
}

export function isTrustedSender(frame: SenderFrame | null | undefined, topFrame?: unknown): boolean {
  if (!frame) return false;
  if (frame.parent !== null) return false;
  if (topFrame !== undefined && topFrame !== frame) return false;
  return isAppUrl(frame.url);
}

/** Navigation is never needed by the single-page UI: every attempt is refused. */
export function isAllowedNavigation(_url: string): false {
  return false;
}

/** Links a user clicks are never opened by the station (no shell.openExternal of untrusted input). */
export const windowOpenPolicy = { action: 'deny' } as const;
