/** Weighted random selection: each usable backend is picked with probability weight / total. */
import type { Backend, Selector } from '../types.ts'

/** A weighted random selector; `random` defaults to Math.random (injectable for tests). */
export function weightedRandom(random: () => number = Math.random): Selector {
  return {
    algorithm: 'random',
    select(backends, _ctx, exclude) {
      let total = 0
      for (const backend of backends) {
        if (backend.healthy && exclude?.has(backend) !== true) total += backend.weight
      }
      if (total === 0) return undefined
      let point = random() * total
      let last: Backend | undefined
      for (const backend of backends) {
        if (!backend.healthy || exclude?.has(backend) === true) continue
        last = backend
        point -= backend.weight
        if (point < 0) return backend
      }
      // Only reached through floating-point rounding at the very top of the range.
      return last
    },
  }
}
