// Passphrase verifiers: scrypt (RFC 7914) from node:crypto, N = 2^17, r = 8, p = 1 (OWASP's password
// storage guidance for scrypt; about 0.4 s here), a 32-byte random salt, compared in constant time.
// The parameters are stored with each verifier, so that raising them later leaves old ones readable.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface Verifier {
  readonly alg: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly hash: string;
}

const PARAMS = { N: 2 ** 17, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
/** NIST SP 800-63B asks for at least 8 characters and allows long ones; the station asks for 10. */
export const MIN_PASSPHRASE_CHARS = 10;

function derive(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, KEY_BYTES, { ...params, maxmem: 256 * params.N * params.r + (1 << 20) }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function makeVerifier(passphrase: string): Promise<Verifier> {
  const salt = randomBytes(32);
  const hash = await derive(passphrase, salt, PARAMS);
  return { alg: 'scrypt', ...PARAMS, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export async function checkPassphrase(passphrase: string, v: Verifier): Promise<boolean> {
  const expected = Buffer.from(v.hash, 'base64');
  const got = await derive(passphrase, Buffer.from(v.salt, 'base64'), v);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** A verifier to spend the same time on when the name is unknown, so timing does not tell which names exist. */
let decoy: Promise<Verifier> | undefined;
export function decoyVerifier(): Promise<Verifier> {
  decoy ??= makeVerifier(randomBytes(16).toString('hex'));
  return decoy;
}

export function passphraseProblem(passphrase: string): string | undefined {
  if ([...passphrase.normalize('NFC')].length < MIN_PASSPHRASE_CHARS) return `A passphrase needs at least ${MIN_PASSPHRASE_CHARS} characters.`;
  if (/^\s|\s$/.test(passphrase)) return 'A passphrase may not begin or end with a space.';
  return undefined;
}
