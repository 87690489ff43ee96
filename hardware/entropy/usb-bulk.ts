// Vendor-bulk RNGs through `usb` v3 (WebUSB-style API): ChaosKey 1d50:60c6 (first bulk IN endpoint of
// interface 0, as the Linux chaoskey driver reads it) and IDQ Quantis USB 0aba:0102 (bulk IN 0x86,
// module enabled by vendor request 0x12 and disabled by 0x11, as in IDQ's libQuantis).
// Opened by VID:PID and, when configured, serial. Not exercisable on machines without a USB bus: the
// test suite drives it through a fake of the same shape.
import type { SourceSpec } from './spec';
import { checkReadSize, EntropySourceError, plainBytes, sourceErrorFrom, type EntropySource, type OpenReport, type SourceProvenance } from './source';
import { knownDevice } from './devices';

export type UsbSpec = Extract<SourceSpec, { kind: 'usb' }>;

/** The part of the WebUSB device API this driver uses (usb v3's UsbDevice satisfies it). */
export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null | undefined;
  readonly configuration?:
    | {
        readonly interfaces: readonly {
          readonly interfaceNumber: number;
          readonly alternate: { readonly endpoints: readonly { readonly endpointNumber: number; readonly direction: string; readonly type: string; readonly packetSize: number }[] };
        }[];
      }
    | null
    | undefined;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(configurationValue: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  transferIn(endpointNumber: number, length: number, timeout?: number): Promise<{ readonly status?: string; readonly data?: DataView | undefined }>;
  controlTransferOut(
    setup: { requestType: 'vendor'; recipient: 'interface'; request: number; value: number; index: number },
    data?: ArrayBufferView,
    timeout?: number,
  ): Promise<{ readonly status?: string }>;
}

export interface UsbLike {
  getDevices(): Promise<readonly UsbDeviceLike[]>;
  addEventListener(type: 'disconnect', listener: (ev: { readonly device?: unknown }) => void): void;
  removeEventListener(type: 'disconnect', listener: (ev: { readonly device?: unknown }) => void): void;
}

export async function loadUsb(spec = 'usb'): Promise<UsbLike> {
  try {
    const mod = await import('usb');
    return mod.usb as unknown as UsbLike;
  } catch (e) {
    throw new EntropySourceError('unsupported', `The usb module cannot load here: ${(e as Error).message}`, spec, { cause: e });
  }
}

/** usb.getDevices() rejects where /sys/bus/usb is absent: that is 'unsupported' (no USB bus), not a fault. */
export async function listUsbDevices(usb: UsbLike, spec = 'usb'): Promise<readonly UsbDeviceLike[]> {
  try {
    return await usb.getDevices();
  } catch (e) {
    throw new EntropySourceError('unsupported', `No USB bus: ${(e as Error).message}`, spec, { cause: e });
  }
}

/** A USB ID as the 4-digit lowercase hex the provenance uses. */
export const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const QUANTIS_ENDPOINT = 0x86 & 0x0f;
const QUANTIS_MODULE_ENABLE = 0x12;
const QUANTIS_MODULE_DISABLE = 0x11;
const MAX_TRANSFER = 64 << 10;

export interface UsbBulkOptions {
  readonly spec: UsbSpec;
  readonly specText: string;
  readonly claimedMinEntropyPerSample: number;
  readonly readTimeoutMs: number;
  /** The WebUSB-style entry point; defaults to `usb` v3. Injected by tests. */
  readonly usb?: UsbLike;
}

export class UsbBulkEntropySource implements EntropySource {
  readonly sampleBits = 8 as const;
  readonly claimedMinEntropyPerSample: number;
  readonly computational = false;
  private prov: SourceProvenance;
  private usb: UsbLike | undefined;
  private device: UsbDeviceLike | undefined;
  private endpoint = 0;
  private packetSize = 64;
  private leftover: Uint8Array = new Uint8Array(0);
  private failure: EntropySourceError | undefined;
  private readonly onDisconnect = (ev: { readonly device?: unknown }): void => {
    if (this.device && ev.device === this.device) {
      this.failure = new EntropySourceError('unplugged', `${this.prov.label} was unplugged.`, this.options.specText);
      this.leftover.fill(0);
      this.leftover = new Uint8Array(0);
    }
  };

  constructor(private readonly options: UsbBulkOptions) {
    this.claimedMinEntropyPerSample = options.claimedMinEntropyPerSample;
    this.prov = this.describe(options.spec.serial);
  }

  get provenance(): SourceProvenance {
    return this.prov;
  }

  async open(): Promise<OpenReport> {
    if (this.device) return { warnings: [] };
    const { spec, specText } = this.options;
    const warnings: string[] = [];
    const usb = this.options.usb ?? (await loadUsb(specText));
    const all = await listUsbDevices(usb, specText);
    const vid = parseInt(spec.vendorId, 16);
    const pid = parseInt(spec.productId, 16);
    const matches = all.filter((d) => d.vendorId === vid && d.productId === pid && (spec.serial === undefined || d.serialNumber === spec.serial));
    const id = `${spec.vendorId}:${spec.productId}${spec.serial ? ` serial ${spec.serial}` : ''}`;
    if (matches.length === 0) throw new EntropySourceError('not-found', `No USB device ${id} is present.`, specText);
    if (matches.length > 1) throw new EntropySourceError('ambiguous', `${matches.length} USB devices match ${id}; name the serial.`, specText);
    const device = matches[0] as UsbDeviceLike;
    try {
      await device.open();
      if (!device.configuration) await device.selectConfiguration(1);
      await device.claimInterface(0);
      const endpoints = device.configuration?.interfaces.find((i) => i.interfaceNumber === 0)?.alternate.endpoints ?? [];
      const bulkIn = endpoints.filter((e) => e.direction === 'in' && e.type === 'bulk');
      const ep = spec.model === 'quantis' ? (bulkIn.find((e) => e.endpointNumber === QUANTIS_ENDPOINT) ?? { endpointNumber: QUANTIS_ENDPOINT, packetSize: 512 }) : bulkIn[0];
      if (!ep) throw new EntropySourceError('io', `${id} has no bulk IN endpoint on interface 0.`, specText);
      this.endpoint = ep.endpointNumber;
      this.packetSize = Math.max(1, ep.packetSize);
      if (spec.model === 'quantis') {
        const r = await device.controlTransferOut({ requestType: 'vendor', recipient: 'interface', request: QUANTIS_MODULE_ENABLE, value: 0, index: 0 });
        if (r.status && r.status !== 'ok') throw new EntropySourceError('io', `Quantis refused to enable its module (${r.status}).`, specText);
      }
    } catch (e) {
      await device.close().catch(() => undefined);
      throw sourceErrorFrom(e, specText, `Cannot open USB device ${id}`);
    }
    this.device = device;
    this.usb = usb;
    this.failure = undefined;
    this.prov = this.describe(device.serialNumber ?? spec.serial);
    try {
      usb.addEventListener('disconnect', this.onDisconnect);
    } catch (e) {
      warnings.push(`USB hot-unplug events unavailable (${(e as Error).message}); an unplug shows as a failed transfer.`);
    }
    return { warnings };
  }

  async read(maxBytes: number): Promise<Uint8Array> {
    const specText = this.options.specText;
    checkReadSize(maxBytes, specText);
    if (this.failure) throw this.failure;
    const device = this.device;
    if (!device) throw new EntropySourceError('not-open', `${this.prov.label} is not open.`, specText);
    if (this.leftover.length === 0) {
      // Whole packets only: a transfer shorter than the endpoint's packet size can overflow.
      const want = Math.min(MAX_TRANSFER, Math.max(this.packetSize, Math.floor(maxBytes / this.packetSize) * this.packetSize));
      let result: { readonly status?: string; readonly data?: DataView | undefined };
      try {
        result = await device.transferIn(this.endpoint, want, this.options.readTimeoutMs);
      } catch (e) {
        throw (this.failure as EntropySourceError | undefined) ?? sourceErrorFrom(e, specText, `Bulk read from ${this.prov.label}`);
      }
      if (this.failure) throw this.failure;
      if ((result.status && result.status !== 'ok') || !result.data) {
        throw new EntropySourceError('io', `Bulk read from ${this.prov.label} ended with status ${result.status ?? 'none'}.`, specText);
      }
      const d = result.data;
      this.leftover = plainBytes(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice());
      if (this.leftover.length === 0) throw new EntropySourceError('stalled', `${this.prov.label} returned an empty transfer.`, specText);
    }
    const n = Math.min(maxBytes, this.leftover.length);
    const out = this.leftover.slice(0, n);
    this.leftover.fill(0, 0, n);
    this.leftover = this.leftover.subarray(n);
    return out;
  }

  async close(): Promise<void> {
    const device = this.device;
    this.device = undefined;
    this.leftover.fill(0);
    this.leftover = new Uint8Array(0);
    try {
      this.usb?.removeEventListener('disconnect', this.onDisconnect);
    } catch {
      // nothing to remove
    }
    if (!device) return;
    if (this.options.spec.model === 'quantis' && !this.failure) {
      await device.controlTransferOut({ requestType: 'vendor', recipient: 'interface', request: QUANTIS_MODULE_DISABLE, value: 0, index: 0 }).catch(() => undefined);
    }
    await device.releaseInterface(0).catch(() => undefined);
    await device.close().catch(() => undefined);
  }

  private describe(serial: string | undefined): SourceProvenance {
    const { spec, specText } = this.options;
    const name = knownDevice(spec.vendorId, spec.productId)?.name ?? 'USB RNG';
    return {
      kind: 'usb',
      label: `${name} ${spec.vendorId}:${spec.productId}${serial ? ` serial ${serial}` : ''}`,
      spec: specText,
      vendorId: spec.vendorId,
      productId: spec.productId,
      ...(serial ? { serial } : {}),
      model: spec.model,
    };
  }
}
