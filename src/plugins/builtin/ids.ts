/** Random identifiers: UUIDv7 (RFC 9562, time-ordered) and nanoid-style URL-safe ids. */
import { randomFillSync } from 'node:crypto'

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
)

// One call into the CSPRNG per 4 KiB of ids instead of one per id: that call, not the id
// itself, is what a request id costs.
const POOL = Buffer.allocUnsafe(4096)
let poolOffset = POOL.length

/** `size` fresh random bytes, copied out of the pool (the pool is refilled, never reused). */
function randomBytesFromPool(size: number): Buffer {
  if (size > POOL.length) return randomFillSync(Buffer.allocUnsafe(size))
  if (poolOffset + size > POOL.length) {
    randomFillSync(POOL)
    poolOffset = 0
  }
  const out = Buffer.allocUnsafe(size)
  POOL.copy(out, 0, poolOffset, poolOffset + size)
  poolOffset += size
  return out
}

/** A UUIDv7: 48 bits of Unix milliseconds, version 7, variant 10, 74 random bits. */
export function uuidv7(now = Date.now()): string {
  const b = randomBytesFromPool(16)
  // Two 24-bit halves: bitwise operators work on 32 bits only, the timestamp has 48.
  const high = Math.floor(now / 0x1000000)
  const low = now % 0x1000000
  b[0] = (high >>> 16) & 0xff
  b[1] = (high >>> 8) & 0xff
  b[2] = high & 0xff
  b[3] = (low >>> 16) & 0xff
  b[4] = (low >>> 8) & 0xff
  b[5] = low & 0xff
  b[6] = (b[6]! & 0x0f) | 0x70
  b[8] = (b[8]! & 0x3f) | 0x80
  const h = (i: number): string => HEX[b[i]!]!
  return (
    `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-` +
    `${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`
  )
}

// nanoid's alphabet: 64 URL-safe characters, so `byte & 63` picks one without bias.
const ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict'

/** A URL-safe random id of `size` characters (nanoid's alphabet). */
export function nanoid(size: number): string {
  const bytes = randomBytesFromPool(size)
  let id = ''
  for (let i = 0; i < size; i++) id += ALPHABET[bytes[i]! & 63]
  return id
}
