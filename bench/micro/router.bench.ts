/**
 * route() cost over 10 / 100 / 1,000 / 10,000 locations, linearRouter (the oracle) against
 * indexedRouter, for two shapes of config: host-less path locations (mostly prefixes, some
 * exact paths and a few regexes) and one location per virtual host.
 * Run: `npm run build:tests && node .build/bench/micro/router.bench.js`.
 */
import { compileLocation } from '../../src/router/location.ts'
import { indexedRouter } from '../../src/router/indexed-router.ts'
import { linearRouter } from '../../src/router/linear-router.ts'
import type { LocationConf } from '../../src/config/types.ts'
import type { LocationMatcher, RouteInput, ServerRouter } from '../../src/router/types.ts'

const SIZES = [10, 100, 1_000, 10_000]
const REQUESTS = 1024

/** `/svcN` prefixes, every 20th an exact path, every 50th a regex; a catch-all `/` last. */
function pathConfig(count: number): Array<[string, LocationConf]> {
  const confs: Array<[string, LocationConf]> = []
  for (let i = 0; i < count - 1; i++) {
    if (i % 50 === 49) confs.push([`re${i}`, { path: `~^/re${i}/(?<id>\\d+)$` }])
    else if (i % 20 === 19) confs.push([`eq${i}`, { path: `=/svc${i}/health` }])
    else confs.push([`svc${i}`, { path: `/svc${i}` }])
  }
  confs.push(['root', { path: '/' }])
  return confs
}

/** One location per host, plus a host-less fallback. */
function hostConfig(count: number): Array<[string, LocationConf]> {
  const confs: Array<[string, LocationConf]> = []
  for (let i = 0; i < count - 1; i++)
    confs.push([`h${i}`, { host: `h${i}.example.com`, path: '/' }])
  confs.push(['fallback', { path: '/' }])
  return confs
}

function input(host: string, path: string): RouteInput {
  return { host, path, query: '', headers: {} }
}

function pathRequests(count: number): RouteInput[] {
  return Array.from({ length: REQUESTS }, (_, k) => {
    const i = (k * 7919) % (count - 1)
    if (i % 50 === 49) return input('example.com', `/re${i}/42`)
    if (i % 20 === 19) return input('example.com', `/svc${i}/health`)
    return input('example.com', `/svc${i}/items/1`)
  })
}

function hostRequests(count: number): RouteInput[] {
  return Array.from({ length: REQUESTS }, (_, k) =>
    input(`h${(k * 7919) % (count - 1)}.example.com`, '/api/items'),
  )
}

/** Routes per second: best of several timed rounds after a warm-up. */
function opsPerSecond(router: ServerRouter, requests: readonly RouteInput[], size: number): number {
  const iterations = Math.max(2_000, Math.min(200_000, 20_000_000 / size))
  let sink = 0
  const run = (): void => {
    for (let i = 0; i < iterations; i++) {
      if (router.route(requests[i & (REQUESTS - 1)]!) !== undefined) sink++
    }
  }
  run()
  let best = Infinity
  for (let round = 0; round < 5; round++) {
    const start = performance.now()
    run()
    best = Math.min(best, performance.now() - start)
  }
  if (sink === 0) throw new Error('nothing matched: the benchmark is broken')
  return (iterations / best) * 1000
}

function compile(confs: Array<[string, LocationConf]>): LocationMatcher[] {
  return confs.map(([name, conf]) => compileLocation(name, conf))
}

function format(ops: number): string {
  return Math.round(ops).toLocaleString('en-US').padStart(12)
}

console.log(`node ${process.version}; ops/s = route() calls per second (best of 5 rounds)`)
console.log('shape       locations      linear ops/s    indexed ops/s   speed-up')
for (const [shape, config, requests] of [
  ['paths', pathConfig, pathRequests],
  ['hosts', hostConfig, hostRequests],
] as const) {
  for (const size of SIZES) {
    const locations = compile(config(size))
    const inputs = requests(size)
    const linear = linearRouter(locations)
    const indexed = indexedRouter(locations)
    for (const req of inputs.slice(0, 64)) {
      if (linear.route(req)?.location !== indexed.route(req)?.location) {
        throw new Error(`routers disagree on ${req.host}${req.path}`)
      }
    }
    const a = opsPerSecond(linear, inputs, size)
    const b = opsPerSecond(indexed, inputs, size)
    console.log(
      `${shape.padEnd(8)} ${String(size).padStart(12)} ${format(a)}    ${format(b)}   ${(b / a).toFixed(1).padStart(7)}x`,
    )
  }
}
