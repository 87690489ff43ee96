// The deb's udev rules (assets/udev/60-dske-station.rules) and polkit rule
// (assets/polkit/50-dske-station.rules), issue S12: every entropy device the code supports
// (hardware/entropy/devices.ts) is opened by members of plugdev, nothing else is named, and the polkit
// rule grants plugdev exactly the udisks2 actions for removable drives.
// `udevadm verify` (udev 254 and newer) checks the rules where it exists; everywhere, a parser below
// checks that every line is a well-formed rule of known keys.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_DEVICES } from '../../hardware/entropy/devices';

const udevFile = resolve(__dirname, '../../assets/udev/60-dske-station.rules');
const polkitFile = resolve(__dirname, '../../assets/polkit/50-dske-station.rules');

// --- a udev rules parser (udev(7)): KEY op "value" pairs, comma separated, one rule per line ---
type Pair = { key: string; attr?: string; op: string; value: string };

const MATCH_ONLY = new Set(['ACTION', 'DEVPATH', 'KERNEL', 'KERNELS', 'SUBSYSTEM', 'SUBSYSTEMS', 'DRIVER', 'DRIVERS', 'ATTRS', 'TAGS', 'TEST', 'PROGRAM', 'RESULT', 'CONST']);
const ASSIGN_ONLY = new Set(['OWNER', 'GROUP', 'MODE', 'SECLABEL', 'RUN', 'LABEL', 'GOTO', 'IMPORT', 'OPTIONS']);
const EITHER = new Set(['NAME', 'SYMLINK', 'ATTR', 'SYSCTL', 'ENV', 'TAG']);
const NEEDS_ATTR = new Set(['ATTR', 'ATTRS', 'SYSCTL', 'ENV', 'SECLABEL', 'CONST']);
const MAY_HAVE_ATTR = new Set(['TEST', 'IMPORT', 'RUN']);

function parseRule(line: string): Pair[] {
  const pairs: Pair[] = [];
  const re = /\s*([A-Z]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < line.length) {
    re.lastIndex = at;
    const m = re.exec(line);
    if (!m) throw new Error(`not a udev rule at column ${at + 1}: ${line}`);
    const [, key, attr, op, value, sep] = m;
    const known = MATCH_ONLY.has(key) || ASSIGN_ONLY.has(key) || EITHER.has(key);
    if (!known) throw new Error(`unknown key ${key}: ${line}`);
    if (NEEDS_ATTR.has(key) && attr === undefined) throw new Error(`${key} needs a {name}: ${line}`);
    if (!NEEDS_ATTR.has(key) && !MAY_HAVE_ATTR.has(key) && attr !== undefined) throw new Error(`${key} takes no {name}: ${line}`);
    const isMatch = op === '==' || op === '!=';
    if (isMatch && ASSIGN_ONLY.has(key)) throw new Error(`${key} cannot be matched: ${line}`);
    if (!isMatch && MATCH_ONLY.has(key)) throw new Error(`${key} cannot be assigned: ${line}`);
    pairs.push({ key, ...(attr !== undefined ? { attr } : {}), op, value });
    at = m.index + m[0].length;
    if (sep === '' && at < line.length) throw new Error(`trailing text: ${line}`);
  }
  if (!pairs.some((p) => p.op === '==' || p.op === '!=')) throw new Error(`a rule without a match applies to every device: ${line}`);
  if (!pairs.some((p) => p.op !== '==' && p.op !== '!=')) throw new Error(`a rule without an assignment does nothing: ${line}`);
  return pairs;
}

const text = readFileSync(udevFile, 'utf8');
const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
// The rules that parse (a line that does not parse fails the well-formedness test below).
const rules = lines.flatMap((l) => {
  try {
    return [parseRule(l)];
  } catch {
    return [];
  }
});
const get = (rule: Pair[], key: string, attr?: string) => rule.find((p) => p.key === key && p.attr === attr);

function grantsPlugdev(rule: Pair[], access: 'rw' | 'r'): boolean {
  const group = get(rule, 'GROUP');
  const mode = get(rule, 'MODE');
  if (group?.op !== '=' || group.value !== 'plugdev' || mode?.op !== '=' || !/^0[0-7]{3}$/.test(mode.value)) return false;
  const g = (parseInt(mode.value, 8) >> 3) & 7;
  return access === 'rw' ? (g & 6) === 6 : (g & 4) === 4;
}

describe('udev rules for the entropy devices', () => {
  const verify = spawnSync('udevadm', ['verify', '--help'], { encoding: 'utf8' });
  it.skipIf(verify.error !== undefined || verify.status !== 0)('pass udevadm verify (udev 254 and newer)', () => {
    const r = spawnSync('udevadm', ['verify', udevFile], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).not.toMatch(/error|invalid/i);
    expect(r.status).toBe(0);
  });

  it('are well-formed rules of known keys, each matching something and assigning something', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(() => parseRule(l), l).not.toThrow();
    expect(text).not.toMatch(/\\\n/); // no continuation lines: one rule per line
  });

  it('let plugdev read and write every device the code supports, as a tty or as a USB device', () => {
    // The devices the issue names are among those the code supports.
    const named = ['04d8:f5fe', '16d0:0aa0', '1d50:6086', '1d50:60c6', '0aba:0102'];
    const supported = KNOWN_DEVICES.map((d) => `${d.vendorId}:${d.productId}`);
    for (const id of named) expect(supported).toContain(id);

    for (const d of KNOWN_DEVICES) {
      const subsystem = d.transport === 'serial' ? 'tty' : 'usb';
      const attr = d.transport === 'serial' ? 'ATTRS' : 'ATTR'; // a tty's USB identity is on a parent
      const rule = rules.find((r) => get(r, 'SUBSYSTEM')?.value === subsystem && get(r, attr, 'idVendor')?.value === d.vendorId && get(r, attr, 'idProduct')?.value === d.productId);
      expect(rule, `${d.name} ${d.vendorId}:${d.productId}`).toBeDefined();
      expect(get(rule!, attr, 'idVendor')!.op).toBe('==');
      expect(get(rule!, attr, 'idProduct')!.op).toBe('==');
      expect(grantsPlugdev(rule!, 'rw'), `${d.name}: GROUP="plugdev" with group read/write`).toBe(true);
      if (subsystem === 'usb') expect(get(rule!, 'ENV', 'DEVTYPE')?.value).toBe('usb_device');
    }
  });

  it('name no device the code does not support', () => {
    const supported = new Set(KNOWN_DEVICES.map((d) => `${d.vendorId}:${d.productId}`));
    for (const r of rules) {
      const v = get(r, 'ATTRS', 'idVendor') ?? get(r, 'ATTR', 'idVendor');
      if (!v) continue;
      const p = get(r, 'ATTRS', 'idProduct') ?? get(r, 'ATTR', 'idProduct');
      expect(supported, `${v.value}:${p?.value}`).toContain(`${v.value}:${p?.value}`);
    }
  });

  it('also cover the device nodes the code reads: /dev/chaoskeyN (read/write) and /dev/hwrng (read only)', () => {
    const chaoskey = rules.find((r) => get(r, 'KERNEL')?.value.startsWith('chaoskey'));
    expect(chaoskey && get(chaoskey, 'SUBSYSTEM')?.value).toBe('usbmisc');
    expect(grantsPlugdev(chaoskey!, 'rw')).toBe(true);
    const hwrng = rules.find((r) => get(r, 'KERNEL')?.value === 'hwrng');
    expect(grantsPlugdev(hwrng!, 'r')).toBe(true);
    expect(parseInt(get(hwrng!, 'MODE')!.value, 8) & 0o022).toBe(0); // nobody may write it
  });

  it('give nothing to everyone: no rule makes a node world-writable', () => {
    for (const r of rules) {
      const mode = get(r, 'MODE');
      if (mode) expect(parseInt(mode.value, 8) & 0o002, mode.value).toBe(0);
    }
  });
});

describe('polkit rule for removable drives', () => {
  type Rule = (action: { id: string }, subject: { isInGroup(g: string): boolean }) => string;
  function load(): Rule {
    let rule: Rule | undefined;
    const polkit = { Result: { YES: 'yes', NO: 'no', AUTH_ADMIN: 'auth_admin', NOT_HANDLED: 'not_handled' }, addRule: (f: Rule) => (rule = f) };
    // The rule is plain ES5 that polkitd runs with a `polkit` global; here it runs with a stand-in.
    new Function('polkit', readFileSync(polkitFile, 'utf8'))(polkit);
    expect(rule).toBeDefined();
    return rule!;
  }
  const member = { isInGroup: (g: string) => g === 'plugdev' };
  const other = { isInGroup: () => false };
  const granted = ['filesystem-mount', 'power-off-drive', 'eject-media'].flatMap((a) => [`org.freedesktop.udisks2.${a}`, `org.freedesktop.udisks2.${a}-other-seat`]);

  it('lets plugdev members mount, power off and eject removable drives', () => {
    const rule = load();
    for (const id of granted) expect(rule({ id }, member), id).toBe('yes');
  });

  it('leaves internal disks, other actions and other users to polkit defaults', () => {
    const rule = load();
    for (const id of ['org.freedesktop.udisks2.filesystem-mount-system', 'org.freedesktop.udisks2.power-off-drive-system', 'org.freedesktop.udisks2.eject-media-system', 'org.freedesktop.udisks2.modify-device', 'org.freedesktop.udisks2.filesystem-unmount-others', 'org.freedesktop.login1.power-off']) {
      expect(rule({ id }, member), id).toBe('not_handled');
    }
    for (const id of granted) expect(rule({ id }, other), id).toBe('not_handled');
  });
});
