// Known hardware RNGs (docs/references.md, entropy devices) and their driver parameters.

export type SerialModel = 'truerng' | 'truerngpro' | 'onerng' | 'raw';
export type UsbBulkModel = 'chaoskey' | 'quantis';

export interface KnownDevice {
  readonly vendorId: string;
  readonly productId: string;
  readonly name: string;
  readonly transport: 'serial' | 'usb-bulk';
  readonly model: SerialModel | UsbBulkModel;
}

export const KNOWN_DEVICES: readonly KnownDevice[] = [
  { vendorId: '04d8', productId: 'f5fe', name: 'TrueRNG', transport: 'serial', model: 'truerng' },
  { vendorId: '16d0', productId: '0aa0', name: 'TrueRNGpro', transport: 'serial', model: 'truerngpro' },
  { vendorId: '04d8', productId: 'ebb5', name: 'TrueRNGpro V2', transport: 'serial', model: 'truerngpro' },
  { vendorId: '1d50', productId: '6086', name: 'OneRNG', transport: 'serial', model: 'onerng' },
  // An FTDI bridge: the Infinite Noise TRNG streams raw bits through it; read it as a raw serial port.
  { vendorId: '0403', productId: '6015', name: 'Infinite Noise (FTDI)', transport: 'serial', model: 'raw' },
  { vendorId: '1d50', productId: '60c6', name: 'ChaosKey', transport: 'usb-bulk', model: 'chaoskey' },
  { vendorId: '0aba', productId: '0102', name: 'IDQ Quantis USB', transport: 'usb-bulk', model: 'quantis' },
];

export function knownDevice(vendorId: string | undefined, productId: string | undefined): KnownDevice | undefined {
  if (!vendorId || !productId) return undefined;
  const v = vendorId.toLowerCase();
  const p = productId.toLowerCase();
  return KNOWN_DEVICES.find((d) => d.vendorId === v && d.productId === p);
}

/**
 * TrueRNGpro modes that emit one binary byte per sample. A mode is selected by a "knock": opening the
 * port at 110, 300 and 110 baud, then at the mode's baud rate (ubld.it's truerng_mode.py). The ASCII and
 * raw-ADC modes are left out: they are not byte samples.
 */
export const TRUERNGPRO_MODES = { normal: 300, rng1: 4800, rng2: 9600, unwhitened: 57600 } as const;
export type TrueRngProMode = keyof typeof TRUERNGPRO_MODES;

/** OneRNG noise-source commands (firmware cdc_app.c; OpenBSD uonerng.c): sent before `cmdO`. */
export const ONERNG_MODES = {
  'avalanche-whitened': 'cmd0',
  avalanche: 'cmd1',
  'avalanche-rf-whitened': 'cmd2',
  'avalanche-rf': 'cmd3',
  'rf-whitened': 'cmd6',
  rf: 'cmd7',
} as const;
export type OneRngMode = keyof typeof ONERNG_MODES;

/**
 * Default claimed min-entropy per byte sample when the configuration gives none. These are conservative
 * placeholders, not assessments: the operator should enter the unit's SP 800-90B estimate (ea_non_iid).
 * A device whitener (XOR/LFSR/Mersenne mixing) makes output look uniform without adding entropy, so
 * whitened modes are not credited 8 bits; unwhitened modes get less still.
 */
export function defaultClaimedEntropy(model: SerialModel | UsbBulkModel | 'device-file', mode?: string): number {
  if (model === 'truerngpro' && mode === 'unwhitened') return 2;
  if (model === 'onerng' && mode !== undefined && !mode.endsWith('whitened')) return 2;
  return 6;
}
