/**
 * Ketama consistent hashing over weighted backends: each backend owns points on a 32-bit ring
 * in proportion to its weight, and a key goes to the first point at or after its hash. When
 * that backend is unhealthy or excluded the walk continues round the ring, so only the keys of
 * that backend move, and every backend is considered (decisions §3), not only the first four.
 */
import type { Backend, Selector } from '../types.ts'
import type { HashKey } from './hash-key.ts'

/** Ring points per unit of weight (Ketama's usual 160). */
const POINTS_PER_WEIGHT = 160
/** Upper bound on ring size, so a huge weight cannot make the build slow or large. */
const MAX_POINTS = 160_000
/** Packs (point, backend index) into one float64 so a single numeric sort orders the ring. */
const INDEX_SPACE = 2 ** 20

interface Ring {
  readonly points: Uint32Array
  readonly owners: Uint32Array
}

/**
 * Builds the ring for a backend list (pure; exported for tests and the benchmark). Point i of
 * a backend sits at hash("<address>-<i>"), so a backend keeps its points whatever the others.
 */
export function buildRing(backends: readonly Backend[]): Ring {
  const totalWeight = backends.reduce((sum, b) => sum + b.weight, 0)
  const scale = Math.min(1, MAX_POINTS / Math.max(1, totalWeight * POINTS_PER_WEIGHT))
  const counts = backends.map((b) => Math.max(1, Math.round(b.weight * POINTS_PER_WEIGHT * scale)))
  const packed = new Float64Array(counts.reduce((sum, n) => sum + n, 0))
  let k = 0
  backends.forEach((backend, index) => {
    const prefix = `${backend.address}-`
    for (let i = 0; i < (counts[index] ?? 0); i++) {
      packed[k++] = hashString(`${prefix}${i}`) * INDEX_SPACE + index
    }
  })
  packed.sort()
  const points = new Uint32Array(packed.length)
  const owners = new Uint32Array(packed.length)
  for (let i = 0; i < packed.length; i++) {
    const value = packed[i] ?? 0
    points[i] = Math.floor(value / INDEX_SPACE)
    owners[i] = value % INDEX_SPACE
  }
  return { points, owners }
}

/** 32-bit FNV-1a with a murmur3 finaliser: fast, and spreads short similar keys well. */
export function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Index of the first point >= hash, wrapping to 0 past the end. */
function firstAtOrAfter(points: Uint32Array, hash: number): number {
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((points[mid] ?? 0) < hash) lo = mid + 1
    else hi = mid
  }
  return lo === points.length ? 0 : lo
}

/** A consistent-hash selector named `algorithm`, hashing the value `key` reads. */
export function consistentHash(algorithm: string, key: HashKey): Selector {
  let lastList: readonly Backend[] | undefined
  let ring: Ring = { points: new Uint32Array(0), owners: new Uint32Array(0) }
  return {
    algorithm,
    select(backends, ctx, exclude) {
      const usable = (b: Backend): boolean =>
        b.healthy && (exclude === undefined || !exclude.has(b))
      // Checking first guarantees the ring walk below ends at a usable backend.
      if (!backends.some(usable)) return undefined
      if (backends !== lastList) {
        ring = buildRing(backends)
        lastList = backends
      }
      const { points, owners } = ring
      const start = firstAtOrAfter(points, hashString(key(ctx)))
      for (let i = 0; i < points.length; i++) {
        const backend = backends[owners[(start + i) % points.length] ?? 0]
        if (backend !== undefined && usable(backend)) return backend
      }
      return undefined
    },
  }
}
