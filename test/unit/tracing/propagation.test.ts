import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  extractParent,
  injectContext,
  parseTraceparent,
  parseUberTraceId,
  type RemoteParent,
} from '../../../src/tracing/propagation.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

describe('parseTraceparent', () => {
  const cases: Array<[string, Partial<RemoteParent> | undefined]> = [
    [`00-${TRACE}-${SPAN}-01`, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [`00-${TRACE}-${SPAN}-00`, { sampled: false }],
    [`00-${TRACE}-${SPAN}-03`, { sampled: true }],
    [` 00-${TRACE}-${SPAN}-01 `, { traceId: TRACE }],
    // A later version may carry more fields; version 00 may not.
    [`01-${TRACE}-${SPAN}-01-extra`, { traceId: TRACE }],
    [`00-${TRACE}-${SPAN}-01-extra`, undefined],
    [`ff-${TRACE}-${SPAN}-01`, undefined],
    [`00-${TRACE.toUpperCase()}-${SPAN}-01`, undefined],
    [`00-${'0'.repeat(32)}-${SPAN}-01`, undefined],
    [`00-${TRACE}-${'0'.repeat(16)}-01`, undefined],
    [`00-${TRACE.slice(1)}-${SPAN}-01`, undefined],
    ['', undefined],
  ]
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      const got = parseTraceparent(input)
      if (expected === undefined) return assert.equal(got, undefined)
      assert.ok(got)
      for (const [k, v] of Object.entries(expected)) assert.equal(got[k as keyof RemoteParent], v)
    })
  }
})

describe('parseUberTraceId', () => {
  const cases: Array<[string, Partial<RemoteParent> | undefined]> = [
    [`${TRACE}:${SPAN}:0:1`, { traceId: TRACE, spanId: SPAN, sampled: true }],
    [`${TRACE}%3A${SPAN}%3A0%3A1`, { traceId: TRACE, spanId: SPAN }],
    ['abc:def:0:0', { traceId: `${'0'.repeat(29)}abc`, spanId: `${'0'.repeat(13)}def` }],
    ['ABC:DEF:0:0', { traceId: `${'0'.repeat(29)}abc`, sampled: false }],
    [`${TRACE}:${SPAN}:0`, undefined],
    [`${TRACE}:xyz:0:1`, undefined],
    ['0:1:0:1', undefined],
    ['%E0%A4%A:1:0:1', undefined],
  ]
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      const got = parseUberTraceId(input)
      if (expected === undefined) return assert.equal(got, undefined)
      assert.ok(got)
      for (const [k, v] of Object.entries(expected)) assert.equal(got[k as keyof RemoteParent], v)
    })
  }
})

describe('extractParent', () => {
  const w3c = `00-${TRACE}-${SPAN}-01`
  const other = 'a'.repeat(32)

  test('no header: no parent', () => {
    assert.equal(extractParent({ host: 'x' }, true), undefined)
  })

  test('traceparent carries tracestate along; a repeated header uses the first', () => {
    const got = extractParent({ traceparent: w3c, tracestate: 'a=1, b=2' }, false)
    assert.deepEqual(got, { traceId: TRACE, spanId: SPAN, sampled: true, traceState: 'a=1, b=2' })
  })

  test('an oversized tracestate is dropped, the parent kept', () => {
    const got = extractParent({ traceparent: w3c, tracestate: `a=${'x'.repeat(600)}` }, false)
    assert.equal(got?.traceState, '')
  })

  test('uber-trace-id is read only with jaeger on, and then wins', () => {
    const headers = { traceparent: w3c, 'uber-trace-id': `${other}:${SPAN}:0:1` }
    assert.equal(extractParent(headers, false)?.traceId, TRACE)
    assert.equal(extractParent(headers, true)?.traceId, other)
    assert.equal(extractParent({ traceparent: w3c, 'uber-trace-id': 'bad' }, true)?.traceId, TRACE)
  })
})

describe('injectContext', () => {
  test('writes traceparent, tracestate when known, uber-trace-id with jaeger', () => {
    const headers: Record<string, string | string[]> = { traceparent: 'old' }
    injectContext(headers, TRACE, SPAN, true, 'v=1', true)
    assert.deepEqual(headers, {
      traceparent: `00-${TRACE}-${SPAN}-01`,
      tracestate: 'v=1',
      'uber-trace-id': `${TRACE}:${SPAN}:0:01`,
    })
    const unsampled: Record<string, string | string[]> = {}
    injectContext(unsampled, TRACE, SPAN, false, '', false)
    assert.deepEqual(unsampled, { traceparent: `00-${TRACE}-${SPAN}-00` })
  })
})
