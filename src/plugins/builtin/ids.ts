/** Random identifiers: UUIDv7 (RFC 9562, time-ordered) and nanoid-style URL-safe ids. */
import { randomFillSync } from 'node:crypto'

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
)

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

/** A UUIDv7: 48 bits of Unix milliseconds, version 7, variant 10, 74 random bits. */
export function uuidv7(now = Date.now()): string {
  // The random bytes are read in place from the pool: no Buffer per id (a request id is made
  // for every request of a location with the plugin).
  const at = reserve(10)
  const r = (i: number): string => HEX[POOL[at + i]!]!
  // Two 24-bit halves: bitwise operators work on 32 bits only, the timestamp has 48.
  const high = Math.floor(now / 0x1000000)
  const low = now % 0x1000000
  const time =
    HEX[(high >>> 16) & 0xff]! +
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[(low >>> 16) & 0xff]! +
    '-' +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]!
  const version = HEX[(POOL[at]! & 0x0f) | 0x70]!
  const variant = HEX[(POOL[at + 2]! & 0x3f) | 0x80]!
  return `${time}-${version}${r(1)}-${variant}${r(3)}-${r(4)}${r(5)}${r(6)}${r(7)}${r(8)}${r(9)}`
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
