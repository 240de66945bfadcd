/**
 * Cost of the observability work a request pays: recording one request into the metric
 * families (start + finish, with its upstream side), the same with prom-client's own pre-bound
 * children for comparison, starting and finishing the two trace spans, and the time to
 * render a scrape with 2,000 locations that all saw traffic.
 * Run: `npm run build:tests && node .build/bench/micro/metrics.bench.js`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { Metrics } from '../../src/metrics/metrics.ts'
import { Tracing } from '../../src/tracing/otel.ts'
import { fakeContext } from '../../test/helpers/fake-context.ts'
import { bestOf } from './best-of.ts'

async function families(): Promise<() => void> {
  const m = new Metrics({ defaultMetrics: false })
  await m.apply([{ name: 'web', locations: ['api'], prometheusMetrics: '/metrics' }], ['app'])
  const ctx = fakeContext({
    serverName: 'web',
    location: 'api',
    status: 200,
    payloadSize: 0,
    responseSize: 1200,
    upstreamAddr: '127.0.0.1:80',
    upstreamTimings: { processing: 1.2, response: 1.5 },
  })
  return () => {
    const rec = m.recorderFor('web', 'api')!
    rec.started()
    rec.finished(ctx, m.upstream('web', 'app'))
  }
}

function promClient(): () => void {
  const registers = [new Registry()]
  const L = ['server', 'location']
  const U = ['server', 'upstream']
  const labels = { server: 'web', location: 'api' }
  const up = { server: 'web', upstream: 'app' }
  const sizes = [1, 5, 10, 50, 100, 1000]
  const c = {
    total: new Counter({ name: 't', help: 'h', labelNames: L, registers }).labels(labels),
    current: new Gauge({ name: 'c', help: 'h', labelNames: L, registers }).labels(labels),
    recv: new Histogram({ name: 'r', help: 'h', labelNames: L, buckets: sizes, registers }).labels(
      labels,
    ),
    recvBytes: new Counter({ name: 'rb', help: 'h', labelNames: L, registers }).labels(labels),
    code: new Counter({ name: 'k', help: 'h', labelNames: [...L, 'code'], registers }).labels({
      ...labels,
      code: '2xx',
    }),
    time: new Histogram({ name: 'ti', help: 'h', labelNames: L, registers }).labels(labels),
    sent: new Histogram({ name: 's', help: 'h', labelNames: L, buckets: sizes, registers }).labels(
      labels,
    ),
    sentBytes: new Counter({ name: 'sb', help: 'h', labelNames: L, registers }).labels(labels),
    proc: new Histogram({ name: 'up', help: 'h', labelNames: U, registers }).labels(up),
    resp: new Histogram({ name: 'ur', help: 'h', labelNames: U, registers }).labels(up),
  }
  return () => {
    c.current.inc()
    c.current.dec()
    c.total.inc()
    c.recv.observe(0)
    c.recvBytes.inc(0)
    c.sent.observe(1.17)
    c.sentBytes.inc(1200)
    c.time.observe(0.002)
    c.code.inc()
    c.proc.observe(0.0012)
    c.resp.observe(0.0015)
  }
}

async function spans(): Promise<{ run: () => void; stop: () => Promise<void> }> {
  const tracing = new Tracing()
  // Nothing listens on port 9: exports fail quietly in the background, as with a down collector.
  await tracing.sync([
    { name: 'web', otlpExporter: 'http://127.0.0.1:9/v1/traces?scheduled_delay=60s' },
  ])
  const headers: Record<string, string | string[]> = {}
  return {
    run: () => {
      const ctx = fakeContext({ serverName: 'web', status: 200 })
      const t = tracing.start('web', ctx)!
      t.upstreamStart('app', '127.0.0.1:80', headers)
      t.upstreamEnd()
      t.finish(ctx)
    },
    stop: () => tracing.shutdown(),
  }
}

async function scrape(locations: number): Promise<{ ms: number; bytes: number }> {
  const m = new Metrics({ defaultMetrics: true })
  const names = Array.from({ length: locations }, (_, i) => `location-${i}`)
  await m.apply([{ name: 'web', locations: names, prometheusMetrics: '/metrics' }], ['app'])
  for (const name of names) {
    const rec = m.recorderFor('web', name)!
    for (const status of [200, 404, 502]) {
      rec.started()
      rec.finished(fakeContext({ location: name, status, responseSize: 500 }), undefined)
    }
  }
  await m.render()
  let best = Number.POSITIVE_INFINITY
  let bytes = 0
  for (let i = 0; i < 5; i++) {
    const start = performance.now()
    bytes = (await m.render()).length
    best = Math.min(best, performance.now() - start)
  }
  return { ms: best, bytes }
}

const recordNs = bestOf(await families())
const promNs = bestOf(promClient())
const traced = await spans()
const spanNs = bestOf(traced.run, 50_000, 5)
await traced.stop()
const big = await scrape(2000)
const small = await scrape(200)
console.log(`record one request (families):       ${(recordNs / 1000).toFixed(2)} µs`)
console.log(`record one request (prom-client):     ${(promNs / 1000).toFixed(2)} µs`)
console.log(`server + client span (no export):     ${(spanNs / 1000).toFixed(2)} µs`)
console.log(
  `scrape, 2000 locations × 3 codes:     ${big.ms.toFixed(1)} ms, ${(big.bytes / 1e6).toFixed(1)} MB`,
)
console.log(
  `scrape, 200 locations × 3 codes:      ${small.ms.toFixed(1)} ms, ${(small.bytes / 1e6).toFixed(2)} MB`,
)
