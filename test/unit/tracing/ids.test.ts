import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { newSpanId, newTraceId, sampledByRatio } from '../../../src/tracing/ids.ts'

describe('ids', () => {
  test('trace and span ids are lower-case hex of W3C length, distinct across pool refills', () => {
    const seen = new Set<string>()
    // 3,000 × 24 bytes spans several 8 KB pools.
    for (let i = 0; i < 3_000; i++) {
      const traceId = newTraceId()
      const spanId = newSpanId()
      assert.match(traceId, /^[0-9a-f]{32}$/)
      assert.match(spanId, /^[0-9a-f]{16}$/)
      assert.notEqual(traceId, '0'.repeat(32))
      seen.add(traceId).add(spanId)
    }
    assert.equal(seen.size, 6_000)
  })

  const cases: Array<[string, number, boolean]> = [
    ['ffffffff000000000000000000000000', 1, true],
    ['ffffffff000000000000000000000000', 0.99, false],
    ['00000001000000000000000000000000', 0.5, true],
    ['80000000000000000000000000000000', 0.5, false],
    ['80000000000000000000000000000000', 0.6, true],
    // The four 8-digit words are XORed: these cancel out to 0.
    ['12345678123456780000000000000000', 0.01, true],
    ['00000001000000000000000000000000', 0, false],
  ]
  for (const [traceId, ratio, sampled] of cases) {
    test(`sampledByRatio(${traceId}, ${ratio}) is ${sampled}`, () => {
      assert.equal(sampledByRatio(traceId, ratio), sampled)
    })
  }

  test('a ratio samples about that share of random traces', () => {
    let n = 0
    for (let i = 0; i < 10_000; i++) if (sampledByRatio(newTraceId(), 0.25)) n++
    assert.ok(n > 2_000 && n < 3_000, `sampled ${n} of 10000`)
  })
})
