/**
 * Password hashes for admin users kept in the config (`basic.admin_users = ["name:<hash>"]`):
 * scrypt with a random salt, written `scrypt$<N>$<r>$<p>$<salt>$<key>` (base64url parts).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const KEY_LENGTH = 32
const DEFAULTS = { N: 16_384, r: 8, p: 1 }
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err === null ? resolve(key) : reject(err),
    )
  })
}

/** True when `text` looks like a hash made by {@link hashPassword}. */
export function isPasswordHash(text: string): boolean {
  return FORMAT.test(text)
}

/** Hashes a password with a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, DEFAULTS)
  const { N, r, p } = DEFAULTS
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

/** Checks a password against a stored hash in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored)
  if (m === null) return false
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])]
  // Refuse parameters that would make one login cost seconds of CPU (a config typo or abuse).
  if (N > 1 << 20 || r > 32 || p > 16) return false
  const expected = Buffer.from(m[5] ?? '', 'base64url')
  if (expected.length !== KEY_LENGTH) return false
  const key = await derive(password, Buffer.from(m[4] ?? '', 'base64url'), { N, r, p })
  return timingSafeEqual(key, expected)
}
