// A real pty pair made by socat, playing a TrueRNG-like device: the test writes device bytes into one
// end, the serial driver opens the other. Killing socat is a hot-unplug.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const socatMissing: string | false = (() => {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.error ? `socat is not installed (${r.error.message}); apt-get install socat` : false;
})();

export class PtyDevice {
  private writer: FileHandle | undefined;
  private constructor(
    private readonly proc: ChildProcess,
    private readonly dir: string,
    readonly devicePath: string,
    private readonly hostPath: string,
  ) {}

  static async start(): Promise<PtyDevice> {
    const dir = mkdtempSync(join(tmpdir(), 'dske-pty-'));
    const host = join(dir, 'host');
    const device = join(dir, 'device');
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${host}`, `pty,raw,echo=0,link=${device}`], { stdio: ['ignore', 'ignore', 'ignore'] });
    for (let i = 0; i < 250 && !(existsSync(host) && existsSync(device)); i++) await new Promise((r) => setTimeout(r, 20));
    if (!existsSync(device)) {
      proc.kill('SIGKILL');
      throw new Error('socat did not create the pty pair');
    }
    return new PtyDevice(proc, dir, device, host);
  }

  /** Writes device bytes asynchronously (a blocking write would stall the reader in this process). */
  async write(bytes: Uint8Array): Promise<void> {
    this.writer ??= await open(this.hostPath, 'r+');
    let off = 0;
    while (off < bytes.length) off += (await this.writer.write(bytes, off, Math.min(4096, bytes.length - off))).bytesWritten;
  }

  /** What the host sent to the device (commands), as text, once at least `min` bytes have arrived. */
  async received(min: number): Promise<string> {
    this.writer ??= await open(this.hostPath, 'r+');
    let text = '';
    const buf = Buffer.alloc(256);
    while (text.length < min) {
      const { bytesRead } = await this.writer.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      text += buf.toString('latin1', 0, bytesRead);
    }
    return text;
  }

  /** Hot-unplug: the device vanishes. */
  async unplug(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.writer?.close().catch(() => undefined);
    this.writer = undefined;
    await this.unplug();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
