/**
 * Smooth weighted round robin (nginx's algorithm): with weights 5,1,1 it yields
 * a a b a c a a rather than a a a a a b c, so a heavy backend never gets a long burst.
 */
import type { Backend, Selector } from '../types.ts'

/** A round-robin selector; its state follows the backend list as DNS changes it. */
export function roundRobin(): Selector {
  // Running score per address; survives list changes for addresses that stay.
  let current = new Map<string, number>()
  let lastList: readonly Backend[] | undefined
  return {
    algorithm: 'round_robin',
    select(backends, _ctx, exclude) {
      if (backends !== lastList) {
        current = keepSurvivors(current, backends)
        lastList = backends
      }
      let total = 0
      let best: Backend | undefined
      let bestScore = -Infinity
      for (const backend of backends) {
        if (!backend.healthy || exclude?.has(backend) === true) continue
        const score = (current.get(backend.address) ?? 0) + backend.weight
        current.set(backend.address, score)
        total += backend.weight
        if (score > bestScore) {
          best = backend
          bestScore = score
        }
      }
      if (best !== undefined) current.set(best.address, bestScore - total)
      return best
    },
  }
}

function keepSurvivors(
  scores: ReadonlyMap<string, number>,
  backends: readonly Backend[],
): Map<string, number> {
  const next = new Map<string, number>()
  for (const backend of backends) {
    const score = scores.get(backend.address)
    if (score !== undefined) next.set(backend.address, score)
  }
  return next
}
