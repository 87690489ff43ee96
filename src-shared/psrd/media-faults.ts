// The faults a delivery medium can have (issue S6, part 5), each with one sentence for the desk. A
// fault never costs PSRD: the range it hit is voided (destroyed here and reported as voided, so the
// Security Server destroys its copy too) or was never allocated.

export const mediaFaults = {
  'medium-unplugged': 'The medium was removed or stopped answering before the delivery finished. Plug it back in, or use another, and deliver again.',
  'medium-full': 'The medium does not have room for this package. Free space on it, or use a larger one.',
  'medium-read-only': 'The medium is write-protected or mounted read-only. Slide its lock switch off, or use another.',
  'verify-failed': 'What was read back from the medium is not what was written. Do not hand this medium out; use another.',
  'medium-not-allowed': 'The station will not write to this drive (it is the system drive, the station’s own drive, or not removable).',
  'wrong-device': 'The drive in the slot is not the one that was chosen (its serial or size changed). Choose the drive again.',
} as const;

export type MediaFaultCode = keyof typeof mediaFaults;

export function isMediaFault(code: string): code is MediaFaultCode {
  return Object.prototype.hasOwnProperty.call(mediaFaults, code);
}
