/**
 * Cost of one backend pick per selector, over 3, 10 and 100 backends, all healthy and with
 * most of them down (the consistent-hash ring walk). Also the ring build a DNS change costs.
 * Run: `npm run build:tests && node .build/bench/micro/selectors.bench.js`.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import type { RequestContext } from '../../src/core/context.ts'
import { buildRing } from '../../src/upstream/selectors/consistent-hash.ts'
import { createSelector } from '../../src/upstream/selectors/index.ts'
import type { Backend } from '../../src/upstream/types.ts'

const ALGOS = ['round_robin', 'random', 'hash', 'hash:ip', 'hash:header:X-User', 'hash:cookie:sid']
const SIZES = [3, 10, 100]

function backends(count: number): Backend[] {
  return Array.from({ length: count }, (_, i) => ({
    address: `10.0.${i >> 8}.${i & 255}:8080`,
    host: `10.0.${i >> 8}.${i & 255}`,
    port: 8080,
    weight: 1 + (i % 3),
    healthy: true,
    pool: {} as Dispatcher,
  }))
}

// 1,024 distinct requests so hash selectors do not see one key only.
const contexts: RequestContext[] = Array.from({ length: 1024 }, (_, i) => {
  const headers: IncomingHttpHeaders = {
    'x-user': `user-${i}`,
    cookie: `theme=dark; sid=s${i * 7}`,
  }
  return {
    path: `/api/items/${i}`,
    query: `page=${i % 10}`,
    headers,
    clientIp: `192.0.2.${i & 255}`,
  } as unknown as RequestContext
})

/** ns per call, best of several rounds (the best round is the least disturbed one). */
function measure(fn: (i: number) => void, iterations = 200_000, rounds = 5): number {
  for (let i = 0; i < iterations; i++) fn(i)
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < rounds; r++) {
    const start = performance.now()
    for (let i = 0; i < iterations; i++) fn(i)
    best = Math.min(best, ((performance.now() - start) * 1e6) / iterations)
  }
  return best
}

/** Runs the benchmark; returns rows of [case, ns per pick]. */
export function runSelectorBench(): Array<[string, number]> {
  const rows: Array<[string, number]> = []
  let sink = 0
  for (const size of SIZES) {
    for (const downShare of [0, 0.9]) {
      const list = backends(size)
      // Mark 90% down, keeping the last one up so every pick succeeds.
      list.forEach((b, i) => (b.healthy = i >= Math.floor(size * downShare) || i === size - 1))
      for (const algo of ALGOS) {
        const selector = createSelector(algo)
        const ns = measure((i) => {
          sink += selector.select(list, contexts[i & 1023]!)?.port ?? 0
        })
        rows.push([`${algo} n=${size}${downShare > 0 ? ' 90% down' : ''}`, ns])
      }
    }
    rows.push([
      `ring build n=${size}`,
      measure(() => (sink += buildRing(backends(size)).points.length), 20, 3),
    ])
  }
  if (sink === 0) throw new Error('unreachable: keeps the work observable')
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, ns] of runSelectorBench()) {
    const value = ns >= 10_000 ? `${(ns / 1e6).toFixed(2)} ms` : `${ns.toFixed(0)} ns`
    console.log(`${name.padEnd(36)} ${value}`)
  }
}
