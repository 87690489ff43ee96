/** The project the scripts belong to (scripts/lib/../..). */
export const projectRoot: string;
/** The electron package folder as the project resolves it, or null. */
export function electronPackageDir(root?: string): string | null;
/** The electron package's version, or null when it is not installed. */
export function electronVersion(root?: string): string | null;
/** Path of the installed Electron binary, or null when it is not installed. */
export function electronBinary(root?: string): string | null;
/** Whether ELECTRON_SKIP_BINARY_DOWNLOAD forbids fetching the binary. */
export function electronDownloadSkipped(env?: NodeJS.ProcessEnv): boolean;
/** The host electron's installer will fetch from. */
export function electronReleaseHost(version: string, env?: NodeJS.ProcessEnv): string;
/** Why electron's installer failed, as a clause, from its output. */
export function explainInstallerFailure(output: string, host: string, env?: NodeJS.ProcessEnv): Promise<string>;
/** Fetch the binary through electron's own installer. */
export function fetchElectron(options?: {
  root?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  update?: (line: string | null) => void;
}): Promise<{ ok: true; binary: string } | { ok: false; reason: string }>;
