// Real media for tests (issue S6): loop devices with ext4 or exFAT (through FUSE), SoftHSM2 tokens read
// back with OpenSC's pkcs11-tool, and QR sheets read back through pdftoppm and zbarimg. Each helper
// says why it cannot run (not root, no loop devices, a tool missing), so that tests skip with a reason;
// a MediaLab keeps every mount and loop device it made and undoes them all in cleanup(), even after a
// failure half-way.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codePlacement } from '../../hardware/carriers/qr-sheet';

export const MiB = 2 ** 20;

export const sh = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function tryRun(cmd: string, ...args: string[]): boolean {
  try {
    sh(cmd, ...args);
    return true;
  } catch {
    return false;
  }
}

export const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** The first of the tools that is missing, or undefined. */
export const missingTool = (...tools: string[]): string | undefined => tools.find((t) => !onPath(t) && !existsSync(`/usr/sbin/${t}`) && !existsSync(`/sbin/${t}`));

export const isRoot = process.getuid?.() === 0;

/** Why loop devices cannot be used here, or undefined when they can (a 1 MiB probe is attached and detached). */
export const noLoopsReason: string | undefined = ((): string | undefined => {
  if (!isRoot) return 'not root';
  if (!existsSync('/dev/loop-control')) return 'no /dev/loop-control';
  const missing = missingTool('losetup', 'mkfs.ext4', 'fsck.ext4', 'truncate');
  if (missing) return `${missing} is not installed`;
  const dir = mkdtempSync(join(tmpdir(), 'dske-loopprobe-'));
  try {
    execFileSync('truncate', ['-s', '1M', join(dir, 'probe.img')]);
    const dev = sh('losetup', '-f', '--show', join(dir, 'probe.img')).trim();
    sh('losetup', '-d', dev);
    return undefined;
  } catch {
    return 'loop devices unavailable';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** Why exFAT through FUSE cannot be used here, or undefined. */
export const noExfatReason: string | undefined = noLoopsReason ?? (missingTool('mkfs.exfat', 'fsck.exfat', 'mount.exfat-fuse') ? `${missingTool('mkfs.exfat', 'fsck.exfat', 'mount.exfat-fuse')} is not installed` : undefined);

export type VolumeFs = 'ext4' | 'exfat';

export interface Volume {
  readonly img: string;
  /** The loop device the image is attached to (it may change if the image had to be attached again). */
  dev: string;
  readonly mnt: string;
  readonly fs: VolumeFs;
}

/** The mountpoints in /proc/mounts (octal escapes decoded). */
export function mountpoints(): string[] {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[1]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

export const isMounted = (path: string): boolean => mountpoints().includes(path);

export class MediaLab {
  readonly work: string;
  private readonly mounts = new Set<string>();
  private readonly loops = new Set<string>();
  private serial = 0;

  constructor(prefix = 'dske-media-') {
    this.work = mkdtempSync(join(tmpdir(), prefix));
  }

  /** An image of sizeMiB, attached to a loop device, formatted and mounted (read-only when asked). */
  makeVolume(fs: VolumeFs, sizeMiB: number, opts: { ro?: boolean } = {}): Volume {
    const n = this.serial++;
    const img = join(this.work, `vol${n}.img`);
    const mnt = join(this.work, `mnt${n}`);
    mkdirSync(mnt);
    sh('truncate', '-s', `${sizeMiB}M`, img);
    const dev = sh('losetup', '-f', '--show', img).trim();
    this.loops.add(dev);
    if (fs === 'ext4') sh('mkfs.ext4', '-q', '-F', dev);
    else sh('mkfs.exfat', dev);
    const v: Volume = { img, dev, mnt, fs };
    this.mount(v, opts.ro);
    return v;
  }

  /** The loop device the image is attached to now, attaching it again if something detached it. */
  private attached(v: Volume): string {
    const line = sh('losetup', '-j', v.img).trim().split('\n').find(Boolean);
    if (line) return line.slice(0, line.indexOf(':'));
    const dev = sh('losetup', '-f', '--show', v.img).trim();
    this.loops.add(dev);
    return dev;
  }

  mount(v: Volume, ro = false): void {
    v.dev = this.attached(v);
    if (v.fs === 'ext4') sh('mount', ...(ro ? ['-o', 'ro'] : []), v.dev, v.mnt);
    else sh('mount.exfat-fuse', ...(ro ? ['-o', 'ro'] : []), v.dev, v.mnt);
    this.mounts.add(v.mnt);
  }

  /** Unmounts when mounted (a release through udisksctl may have done it already). */
  unmount(v: Volume): void {
    if (isMounted(v.mnt)) sh('umount', v.mnt);
    this.mounts.delete(v.mnt);
  }

  /** What a stick pulled out mid-write looks like to the process: the mount gone at once, open files kept. */
  pull(v: Volume): void {
    sh('umount', '-l', v.mnt);
    this.mounts.delete(v.mnt);
  }

  /** fsck without repairing; throws (with fsck's output) when it finds anything. */
  fsck(v: Volume): string {
    if (isMounted(v.mnt)) throw new Error(`${v.mnt} is still mounted; fsck needs it unmounted`);
    v.dev = this.attached(v);
    return v.fs === 'ext4' ? sh('fsck.ext4', '-fn', v.dev) : sh('fsck.exfat', '-n', v.dev);
  }

  /** Undoes every mount and loop device, whatever state a failed test left them in. */
  cleanup(): void {
    for (const m of this.mounts) if (isMounted(m)) tryRun('umount', m) || tryRun('umount', '-l', m);
    this.mounts.clear();
    // Images attached under another device number (after a detach) are found by file.
    for (const line of (tryRun('losetup', '-a') ? sh('losetup', '-a') : '').split('\n')) {
      if (line.includes(this.work)) this.loops.add(line.slice(0, line.indexOf(':')));
    }
    for (const d of this.loops) tryRun('losetup', '-d', d);
    this.loops.clear();
    rmSync(this.work, { recursive: true, force: true });
  }
}

// ---- SoftHSM2 ----

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export const noSoftHsmReason: string | undefined = !existsSync(SOFTHSM_MODULE)
  ? `${SOFTHSM_MODULE} is not installed`
  : missingTool('softhsm2-util', 'pkcs11-tool')
    ? `${missingTool('softhsm2-util', 'pkcs11-tool')} is not installed`
    : undefined;

/**
 * A SoftHSM2 configuration of its own under root, made the process's (SOFTHSM2_CONF, set before any
 * PKCS#11 module is loaded in this process), with one token per label; returns each token's directory.
 */
export function softHsmTokens(root: string, labels: readonly string[], pin: string, soPin = '13579'): Map<string, string> {
  const tokens = join(root, 'tokens');
  mkdirSync(tokens, { recursive: true });
  writeFileSync(join(root, 'softhsm2.conf'), `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(root, 'softhsm2.conf');
  const dirs = new Map<string, string>();
  for (const label of labels) {
    const before = new Set(readdirSync(tokens));
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], { env: process.env, stdio: 'ignore' });
    dirs.set(label, join(tokens, readdirSync(tokens).find((d) => !before.has(d)) as string));
  }
  return dirs;
}

function pkcs11Tool(module: string, token: string, pin: string, ...args: string[]): string {
  return execFileSync('pkcs11-tool', ['--module', module, '--token-label', token, '--login', '--pin', pin, ...args], { env: process.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The labels of every object on the token (pkcs11-tool --list-objects). */
export function tokenObjectLabels(module: string, token: string, pin: string): string[] {
  return pkcs11Tool(module, token, pin, '--list-objects')
    .split(/\n(?=\S)/)
    .map((b) => /label:\s+'?([^'\n]*)'?/.exec(b)?.[1] ?? '')
    .filter(Boolean);
}

/**
 * A package as the HSM carrier left it on a token, read back by an independent reader: every data
 * object labelled dske:<package>:<i>/<n>@<offset>, read with pkcs11-tool --read-object and put
 * together in label order (by index, checked against the offsets and the count).
 */
export function readPackageFromToken(module: string, token: string, pin: string, packageId: string, work: string): Buffer {
  const pattern = new RegExp(`^dske:${packageId}:(\\d+)/(\\d+)@(\\d+)$`);
  const objects = tokenObjectLabels(module, token, pin)
    .map((label) => ({ label, m: pattern.exec(label) }))
    .filter((o): o is { label: string; m: RegExpExecArray } => o.m !== null)
    .map(({ label, m }) => ({ label, index: Number(m[1]), count: Number(m[2]), offset: Number(m[3]) }))
    .sort((a, b) => a.index - b.index);
  if (objects.length === 0) throw new Error(`no object of ${packageId} on ${token}`);
  const parts: Buffer[] = [];
  let at = 0;
  objects.forEach((o, i) => {
    if (o.index !== i + 1 || o.count !== objects.length || o.offset !== at) throw new Error(`the objects of ${packageId} on ${token} do not follow each other: ${objects.map((x) => x.label).join(', ')}`);
    const file = join(work, `${packageId}-${o.index}.bin`);
    pkcs11Tool(module, token, pin, '--read-object', '--type', 'data', '--label', o.label, '--output-file', file);
    const b = readFileSync(file);
    rmSync(file);
    parts.push(b);
    at += b.length;
  });
  return Buffer.concat(parts);
}

// ---- QR sheets ----

export const noQrToolsReason: string | undefined = missingTool('pdftoppm', 'zbarimg') ? `${missingTool('pdftoppm', 'zbarimg')} is not installed` : undefined;

/**
 * Reads every code of a sheet back through pdftoppm and zbarimg, one cropped code at a time (from the
 * sheet's codePlacement; zbarimg's --raw -Sbinary gives one symbol's bytes exactly only when the image
 * holds one symbol: see test/hardware/qr-sheet.test.ts).
 */
export function scanSheet(pdf: string, codes: number, work: string, dpi = 150): Uint8Array[] {
  const px = (pt: number): number => Math.round((pt * dpi) / 72);
  const out: Uint8Array[] = [];
  for (let i = 0; i < codes; i++) {
    const { page, left, top, size } = codePlacement(i);
    const prefix = join(work, `code-${i}`);
    execFileSync('pdftoppm', ['-r', String(dpi), '-png', '-f', String(page), '-l', String(page), '-singlefile',
      '-x', String(px(left - 4)), '-y', String(px(top - 4)), '-W', String(px(size + 8)), '-H', String(px(size + 8)), pdf, prefix]);
    const r = spawnSync('zbarimg', ['--nodbus', '--raw', '-Sbinary', `${prefix}.png`], { encoding: 'buffer' });
    if (r.status !== 0 || !/scanned 1 barcode symbols? from 1 image/.test(r.stderr.toString())) throw new Error(`zbarimg on code ${i + 1}: ${r.stderr.toString()}`);
    out.push(new Uint8Array(r.stdout));
    rmSync(`${prefix}.png`, { force: true });
  }
  return out;
}
