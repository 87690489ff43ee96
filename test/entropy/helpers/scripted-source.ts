// An in-memory EntropySource that plays a script of byte blocks and errors, for pipeline tests.
import { EntropySourceError, type EntropySource, type OpenReport, type SourceProvenance } from '../../../hardware/entropy';

export type Step = Uint8Array | EntropySourceError | 'hang';

export class ScriptedSource implements EntropySource {
  readonly provenance: SourceProvenance;
  readonly sampleBits: 1 | 8;
  opens = 0;
  closes = 0;
  private steps: Step[] = [];
  private opened = false;

  constructor(
    name: string,
    readonly claimedMinEntropyPerSample = 8,
    readonly computational = false,
    sampleBits: 1 | 8 = 8,
    private readonly openWarnings: readonly string[] = [],
  ) {
    this.sampleBits = sampleBits;
    this.provenance = { kind: 'device-file', label: `Scripted ${name}`, spec: `file:/scripted/${name}`, path: `/scripted/${name}` };
  }

  /** Queues bytes (delivered in reads of at most maxBytes), errors, or a read that never settles. */
  play(...steps: Step[]): this {
    this.steps.push(...steps);
    return this;
  }

  async open(): Promise<OpenReport> {
    this.opens++;
    this.opened = true;
    return { warnings: this.openWarnings };
  }

  async read(maxBytes: number): Promise<Uint8Array> {
    if (!this.opened) throw new EntropySourceError('not-open', 'not open');
    const step = this.steps[0];
    if (step === undefined) throw new EntropySourceError('stalled', 'script exhausted');
    if (step === 'hang') return new Promise(() => undefined);
    if (step instanceof EntropySourceError) {
      this.steps.shift();
      throw step;
    }
    if (step.length <= maxBytes) {
      this.steps.shift();
      return step.slice();
    }
    this.steps[0] = step.subarray(maxBytes);
    return step.slice(0, maxBytes);
  }

  async close(): Promise<void> {
    this.closes++;
    this.opened = false;
  }
}
