/**
 * Smooth weighted round robin (nginx's algorithm): with weights 5,1,1 it yields
 * a a b a c a a rather than a a a a a b c, so a heavy backend never gets a long burst.
 */
import type { Backend, Selector } from '../types.ts'

/** A round-robin selector; its state follows the backend list as DNS changes it. */
export function roundRobin(): Selector {
  // Running score per position of the current list (a typed array keeps a pick allocation-free);
  // rebuilt, keeping the scores of surviving addresses, when the list changes.
  let scores: Float64Array = new Float64Array(0)
  let lastList: readonly Backend[] = []
  return {
    algorithm: 'round_robin',
    select(backends, _ctx, exclude) {
      if (backends !== lastList) {
        scores = carryScores(lastList, scores, backends)
        lastList = backends
      }
      let total = 0
      let best = -1
      let bestScore = -Infinity
      for (let i = 0; i < backends.length; i++) {
        const backend = backends[i]!
        if (!backend.healthy || (exclude !== undefined && exclude.has(backend))) continue
        const score = scores[i]! + backend.weight
        scores[i] = score
        total += backend.weight
        if (score > bestScore) {
          best = i
          bestScore = score
        }
      }
      if (best < 0) return undefined
      scores[best] = bestScore - total
      return backends[best]
    },
  }
}

function carryScores(
  oldList: readonly Backend[],
  oldScores: Float64Array,
  backends: readonly Backend[],
): Float64Array {
  const byAddress = new Map<string, number>()
  oldList.forEach((b, i) => byAddress.set(b.address, oldScores[i] ?? 0))
  return Float64Array.from(backends, (b) => byAddress.get(b.address) ?? 0)
}
