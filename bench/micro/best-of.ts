/**
 * The micro-benchmarks' timer: ns per call of `fn`, best of `rounds` rounds of `iterations`
 * calls after one warm-up round (the best round is the least disturbed one on a shared machine).
 */
export function bestOf(fn: () => void, iterations = 200_000, rounds = 7): number {
  for (let i = 0; i < iterations; i++) fn()
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) fn()
    best = Math.min(best, Number(process.hrtime.bigint() - start) / iterations)
  }
  return best
}
