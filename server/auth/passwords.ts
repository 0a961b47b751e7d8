import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// Password hashing with Node's scrypt, a memory-hard KDF, at OWASP's recommended parameters
// (N = 2^17, r = 8, p = 1: 128 MiB and about half a second per hash on one core here). Node has it
// built in, so no native package is needed. It runs on libuv's thread pool, never the event loop.
//
// Stored form: `scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>`, so a hash keeps verifying after
// the defaults change, and needsRehash() tells when to upgrade one at the next sign-in.

/** OWASP's minimum for scrypt: N = 2^17 (log2 17), r = 8, p = 1. */
export const DEFAULT_SCRYPT_LOG2_N = 17;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function derive(password: string, salt: Buffer, log2N: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** log2N, r, p, maxmem: 2 * 128 * r * 2 ** log2N };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes a password with a fresh random salt at cost 2^log2N. */
export async function hashPassword(password: string, log2N = DEFAULT_SCRYPT_LOG2_N): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, log2N, R, P);
  return ['scrypt', log2N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

interface ParsedHash {
  log2N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [log2N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a corrupt row from asking for gigabytes.
  if (![log2N, r, p].every(Number.isInteger) || log2N < 10 || log2N > 20 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  return { log2N, r, p, salt: Buffer.from(parts[4]!, 'base64'), key: Buffer.from(parts[5]!, 'base64') };
}

/** Whether `password` matches `stored`, in constant time for the comparison. False for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === null) return false;
  const key = await derive(password, parsed.salt, parsed.log2N, parsed.r, parsed.p);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** Whether a stored hash was made at a lower cost than `log2N` (re-hash it at the next sign-in). */
export function needsRehash(stored: string, log2N = DEFAULT_SCRYPT_LOG2_N): boolean {
  const parsed = parse(stored);
  return parsed === null || parsed.log2N < log2N || parsed.r !== R || parsed.p !== P;
}
