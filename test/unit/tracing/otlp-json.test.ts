import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeJson, jsonEnvelope, unixNanos } from '../../../src/tracing/otlp-json.ts'
import type { RequestSpans } from '../../../src/tracing/spans.ts'
import { fakeContext } from '../../helpers/fake-context.ts'
import { recordRequest, tracedContext } from '../../helpers/request-spans.ts'

interface Value {
  stringValue?: string
  intValue?: string
  doubleValue?: number
  boolValue?: boolean
}
interface Span {
  traceId: string
  spanId: string
  parentSpanId?: string
  traceState?: string
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: Array<{ key: string; value: Value }>
  droppedAttributesCount?: number
  status?: { code?: number; message?: string }
}
interface Body {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: Value }> }
    scopeSpans: Array<{ scope: { name: string }; spans: Span[] }>
  }>
}

function decode(batch: RequestSpans[], max = 16): Body {
  return JSON.parse(
    encodeJson(jsonEnvelope('pingap:web', 'pingap-ts'), batch, max).toString(),
  ) as Body
}

function attrs(span: Span): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((a) => [a.key, Object.values(a.value)[0]]))
}

describe('encodeJson', () => {
  test('a request becomes a SERVER span and its CLIENT span in one resource and scope', () => {
    const ctx = tracedContext()
    const before = BigInt(Date.now()) * 1_000_000n
    const [trace] = recordRequest(ctx, [null])
    const body = decode([trace as RequestSpans])
    const rs = body.resourceSpans[0]!
    assert.deepEqual(rs.resource.attributes, [
      { key: 'service.name', value: { stringValue: 'pingap:web' } },
    ])
    assert.equal(rs.scopeSpans[0]!.scope.name, 'pingap-ts')
    const [server, client] = rs.scopeSpans[0]!.spans as [Span, Span]
    assert.equal(server.kind, 2)
    assert.equal(server.traceId, 'ab'.repeat(16))
    assert.equal(server.parentSpanId, 'cd'.repeat(8))
    assert.equal(server.traceState, 'v=1')
    assert.equal(server.name, '/api/x')
    assert.deepEqual(attrs(server), {
      'http.method': 'GET',
      'http.url': '/api/x?a=1',
      'http.host': 'example.com',
      'http.client_ip': '192.0.2.10',
      'http.status_code': '0',
      'http.response.body.size': '0',
      'http.location': '',
    })
    assert.equal(server.status, undefined)
    assert.equal(client.kind, 3)
    assert.equal(client.parentSpanId, server.spanId)
    assert.equal(client.name, 'upstream.app')
    assert.deepEqual(attrs(client), {
      'upstream.addr': '10.0.0.1:80',
      'http.status_code': '201',
      'upstream.reused': true,
      'upstream.processing_time': 1.235,
    })
    // Unix nanoseconds as decimal strings, in order, around now.
    for (const span of [server, client]) {
      assert.match(span.startTimeUnixNano, /^\d{19}$/)
      assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano))
    }
    assert.ok(BigInt(server.startTimeUnixNano) >= before - 5_000_000n)
    assert.ok(BigInt(server.endTimeUnixNano) <= BigInt(Date.now() + 5) * 1_000_000n)
  })

  test('5xx marks the SERVER span, a failed attempt its CLIENT span, with the reason', () => {
    const ctx = fakeContext()
    const [trace] = recordRequest(ctx, [new Error('connect ECONNREFUSED'), null])
    const body = decode([trace as RequestSpans])
    const [first, second] = body.resourceSpans[0]!.scopeSpans[0]!.spans.slice(1) as [Span, Span]
    assert.deepEqual(first.status, { code: 2, message: 'connect ECONNREFUSED' })
    assert.equal(second.status, undefined)
    ctx.status = 502
    const [failed] = recordRequest(ctx, [])
    const server = decode([failed as RequestSpans]).resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    assert.deepEqual(server.status, { code: 2 })
  })

  test('a retry ends the previous attempt as superseded; an open one ends with the request', () => {
    const ctx = fakeContext({ status: 499 })
    const [trace] = recordRequest(ctx, ['open', 'open'])
    const spans = decode([trace as RequestSpans]).resourceSpans[0]!.scopeSpans[0]!.spans
    assert.deepEqual(
      spans.slice(1).map((s) => s.status?.message),
      ['superseded by a retry', 'client closed'],
    )
  })

  test('strings are escaped: quotes, backslashes, control and non-ASCII characters', () => {
    const path = '/a"b\\c\u0001d/é/日本/\u2028'
    const [trace] = recordRequest(fakeContext({ path }), [])
    const server = decode([trace as RequestSpans]).resourceSpans[0]!.scopeSpans[0]!.spans[0]!
    assert.equal(server.name, path)
  })

  test('max_attributes keeps the first ones and counts the rest', () => {
    const [trace] = recordRequest(fakeContext(), [null])
    const [server, client] = decode([trace as RequestSpans], 2).resourceSpans[0]!.scopeSpans[0]!
      .spans as [Span, Span]
    assert.deepEqual(Object.keys(attrs(server)), ['http.method', 'http.url'])
    assert.equal(server.droppedAttributesCount, 5)
    // The CLIENT span knows only its address here: nothing to drop.
    assert.equal(client.droppedAttributesCount, undefined)
  })

  test('a large batch spans several buffer chunks and stays valid JSON', () => {
    const batch: RequestSpans[] = []
    const long = `/${'x'.repeat(2_000)}`
    for (let i = 0; i < 200; i++)
      batch.push(...recordRequest(fakeContext({ path: `${long}${i}` }), [null]))
    const spans = decode(batch).resourceSpans[0]!.scopeSpans[0]!.spans
    assert.equal(spans.length, 400)
    assert.equal(spans[398]!.name, `${long}199`)
  })
})

describe('unixNanos', () => {
  test('is the unix time of a performance.now() reading, in nanoseconds to the microsecond', () => {
    const now = performance.now()
    const nanos = BigInt(unixNanos(now))
    const expected = BigInt(Math.round((performance.timeOrigin + now) * 1000)) * 1000n
    assert.equal(nanos, expected)
    // Leading zeros inside the second are kept.
    const second = Math.ceil(performance.timeOrigin / 1000) * 1000 - performance.timeOrigin
    assert.match(unixNanos(second + 0.005), /000005000$/)
  })
})
