import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { AggregatorRegistry, Registry } from 'prom-client'
import {
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  escapeLabelValue,
  isFamily,
} from '../../../src/metrics/families.ts'

function rendered(family: { render(out: string[]): void }): string[] {
  const out: string[] = []
  family.render(out)
  return out
}

describe('metric families', () => {
  test('a counter renders HELP, TYPE and one line per series', () => {
    const c = new CounterFamily('x_total', 'help text', ['server', 'location'])
    c.child('web', 'api').inc()
    c.child('web', 'api').inc(2)
    c.child('web', '').inc()
    assert.deepEqual(rendered(c), [
      '# HELP x_total help text',
      '# TYPE x_total counter',
      'x_total{server="web",location="api"} 3',
      'x_total{server="web",location=""} 1',
    ])
  })

  test('a gauge without labels renders no braces', () => {
    const g = new GaugeFamily('g', 'h')
    g.child().set(5)
    g.child().dec()
    assert.deepEqual(rendered(g).slice(2), ['g 4'])
  })

  test('a histogram renders cumulative buckets, +Inf, sum and count', () => {
    const h = new HistogramFamily('h', 'h', ['l'], [1, 5, 10])
    const s = h.child('a')
    for (const v of [0.5, 1, 3, 7, 100]) s.observe(v)
    assert.deepEqual(rendered(h).slice(2), [
      'h_bucket{l="a",le="1"} 2',
      'h_bucket{l="a",le="5"} 3',
      'h_bucket{l="a",le="10"} 4',
      'h_bucket{l="a",le="+Inf"} 5',
      'h_sum{l="a"} 111.5',
      'h_count{l="a"} 5',
    ])
  })

  const escapes: Array<[string, string]> = [
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['a\\b', 'a\\\\b'],
    ['a\nb', 'a\\nb'],
  ]
  for (const [input, expected] of escapes) {
    test(`label value ${JSON.stringify(input)} is escaped`, () => {
      assert.equal(escapeLabelValue(input), expected)
    })
  }

  test('removeWhere drops matching series only', () => {
    const c = new CounterFamily('c', 'h', ['server', 'location'])
    c.child('web', 'a').inc()
    c.child('web', 'b').inc()
    c.child('api', 'a').inc()
    c.removeWhere(([server, location]) => server === 'web' && location === 'a')
    assert.equal(c.size, 2)
    assert.deepEqual(rendered(c).slice(2), [
      'c{server="web",location="b"} 1',
      'c{server="api",location="a"} 1',
    ])
  })

  test('families render the same text through prom-client and sum across registries', async () => {
    const fast: string[] = []
    const make = (n: number): Registry => {
      const registry = new Registry()
      const h = new HistogramFamily('lat', 'latency', ['server'], [0.1, 1])
      const c = new CounterFamily('req_total', 'requests', ['server'])
      registry.registerMetric(h as never)
      registry.registerMetric(c as never)
      for (let i = 0; i < n; i++) {
        h.child('web').observe(0.05)
        c.child('web').inc()
      }
      assert.ok(isFamily(h))
      if (fast.length === 0) fast.push(rendered(h).join('\n'), rendered(c).join('\n'))
      return registry
    }
    const a = make(2)
    const b = make(3)
    // prom-client's own renderer reads get(): the JSON shape must be complete.
    const text = await a.metrics()
    assert.match(text, /lat_bucket\{server="web",le="0.1"\} 2/)
    assert.equal(text, `${fast.join('\n\n')}\n`)
    const merged = AggregatorRegistry.aggregate([
      await a.getMetricsAsJSON(),
      await b.getMetricsAsJSON(),
    ])
    const out = await merged.metrics()
    assert.match(out, /req_total\{server="web"\} 5/)
    assert.match(out, /lat_count\{server="web"\} 5/)
  })
})
