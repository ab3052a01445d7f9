import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Editors' password hashes (config preview.editors[].passwordHash), scrypt in a self-describing
 * form: `scrypt$N$r$p$salt$hash`, salt and hash base64url. `newsletter editors hash` makes them.
 * Verifying costs the same for an unknown editor (a dummy hash is checked), so a sign-in's timing
 * does not tell which names exist.
 */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const FORMAT = /^scrypt\$(\d{1,10})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{43})$/;

export interface ParsedHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** The hash's parts, or what is wrong with it. */
export function parsePasswordHash(stored: string): ParsedHash | { problem: string } {
  const m = FORMAT.exec(stored.trim());
  if (!m) return { problem: 'is not a password hash of ours (scrypt$N$r$p$salt$hash)' };
  const [n, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds keep a hash in the config from asking for gigabytes or minutes at each sign-in.
  if (n < 1 << 14 || n > 1 << 20 || (n & (n - 1)) !== 0 || r < 8 || r > 32 || p < 1 || p > 4)
    return { problem: 'has scrypt parameters out of range (N a power of two from 16384 to 1048576, r 8-32, p 1-4)' };
  return { n, r, p, salt: Buffer.from(m[4]!, 'base64url'), hash: Buffer.from(m[5]!, 'base64url') };
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 };
  return new Promise((ok, fail) => scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (e, key) => (e ? fail(e) : ok(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** A hash of nothing anyone knows, checked for unknown names so they take as long as known ones. */
let dummy: Promise<string> | undefined;

export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const target = stored ?? (await (dummy ??= hashPassword(randomBytes(18).toString('base64url'))));
  const parsed = parsePasswordHash(target);
  if ('problem' in parsed) return false;
  const key = await derive(password, parsed.salt, parsed.n, parsed.r, parsed.p);
  return timingSafeEqual(key, parsed.hash) && stored !== undefined;
}
