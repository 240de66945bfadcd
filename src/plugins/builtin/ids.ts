/** Random identifiers: UUIDv7 (RFC 9562, time-ordered) and nanoid-style URL-safe ids. */
import { randomFillSync } from 'node:crypto'

// One call into the CSPRNG per 4 KiB of ids instead of one per id: that call, not the id
// itself, is what a request id costs.
const POOL = Buffer.allocUnsafe(4096)
let poolOffset = POOL.length

/** Reserves `size` fresh bytes of the pool (refilled when used up) and returns their offset. */
function reserve(size: number): number {
  if (poolOffset + size > POOL.length) {
    randomFillSync(POOL)
    poolOffset = 0
  }
  const at = poolOffset
  poolOffset += size
  return at
}

// Hex digits as character codes, and the 36 bytes one id is written into before it becomes a
// string: one flat string per id instead of a rope of ~20 concatenations.
const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1')
const ID = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1')

/** Writes `byte` as two hex digits at `at` of ID. */
function hexAt(at: number, byte: number): void {
  ID[at] = HEX_CODES[byte >>> 4]!
  ID[at + 1] = HEX_CODES[byte & 0x0f]!
}

/** A UUIDv7: 48 bits of Unix milliseconds, version 7, variant 10, 74 random bits. */
export function uuidv7(now = Date.now()): string {
  // The random bytes are read in place from the pool: no Buffer per id (a request id is made
  // for every request of a location with the plugin).
  const at = reserve(10)
  // Two 24-bit halves: bitwise operators work on 32 bits only, the timestamp has 48.
  const high = Math.floor(now / 0x1000000)
  const low = now % 0x1000000
  hexAt(0, (high >>> 16) & 0xff)
  hexAt(2, (high >>> 8) & 0xff)
  hexAt(4, high & 0xff)
  hexAt(6, (low >>> 16) & 0xff)
  hexAt(9, (low >>> 8) & 0xff)
  hexAt(11, low & 0xff)
  hexAt(14, (POOL[at]! & 0x0f) | 0x70)
  hexAt(16, POOL[at + 1]!)
  hexAt(19, (POOL[at + 2]! & 0x3f) | 0x80)
  hexAt(21, POOL[at + 3]!)
  for (let i = 4; i < 10; i++) hexAt(24 + (i - 4) * 2, POOL[at + i]!)
  return ID.toString('latin1', 0, 36)
}

// nanoid's alphabet: 64 URL-safe characters, so `byte & 63` picks one without bias.
const ALPHABET = 'useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict'

/** A URL-safe random id of `size` characters (nanoid's alphabet). */
export function nanoid(size: number): string {
  // Read in place from the pool like uuidv7; an id larger than the pool gets its own bytes.
  const bytes = size > POOL.length ? randomFillSync(Buffer.allocUnsafe(size)) : POOL
  const at = bytes === POOL ? reserve(size) : 0
  let id = ''
  for (let i = 0; i < size; i++) id += ALPHABET[bytes[at + i]! & 63]
  return id
}
