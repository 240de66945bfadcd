/**
 * The protobuf encoding is checked against two independent oracles: protobufjs decodes it with
 * the OTLP schema (test/helpers/otlp-body.ts), and the decoded export must equal the JSON
 * encoding (otlp-json.ts, tested on its own) of the same batch.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RequestContext } from '../../../src/core/context.ts'
import { encodeJson, jsonEnvelope } from '../../../src/tracing/otlp-json.ts'
import { encodeProto, protoEnvelope } from '../../../src/tracing/otlp-proto.ts'
import { RequestSpans, type TraceSettings } from '../../../src/tracing/spans.ts'
import { fakeContext } from '../../helpers/fake-context.ts'
import { decodeOtlpProtobuf } from '../../helpers/otlp-body.ts'

/** Runs one request through a RequestSpans and returns what it queued. */
function record(ctx: RequestContext, attempts: Array<unknown>): RequestSpans[] {
  const out: RequestSpans[] = []
  const settings: TraceSettings = {
    sampleRatio: 1,
    jaeger: false,
    sink: { add: (s) => out.push(s) },
  }
  const spans = new RequestSpans(settings, ctx)
  for (const error of attempts) {
    spans.upstreamStart('app', '10.0.0.1:80', {})
    if (error !== 'open') spans.upstreamEnd(error ?? undefined)
  }
  spans.finish(ctx)
  return out
}

function bothEncodings(batch: RequestSpans[], max = 16): { proto: unknown; json: unknown } {
  const proto = encodeProto(protoEnvelope('pingap:web', 'pingap-ts'), batch, max)
  const json = encodeJson(jsonEnvelope('pingap:web', 'pingap-ts'), batch, max)
  // The JSON encoder writes `"attributes":[]` when it keeps none; protobuf has no empty list.
  const withoutEmptyLists = (_key: string, value: unknown) =>
    Array.isArray(value) && value.length === 0 ? undefined : value
  return { proto: decodeOtlpProtobuf(proto), json: JSON.parse(json.toString(), withoutEmptyLists) }
}

function assertSame(batch: RequestSpans[], max = 16): void {
  const { proto, json } = bothEncodings(batch, max)
  assert.deepEqual(proto, json)
}

describe('encodeProto', () => {
  test('a request with a parent, trace state and timings decodes as its JSON encoding', () => {
    const ctx = fakeContext({
      path: '/api/x',
      query: 'a=1',
      headers: { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`, tracestate: 'v=1' },
    })
    ctx.upstreamStatus = 201
    ctx.upstreamReused = true
    ctx.upstreamTimings.connect = 0.25
    ctx.upstreamTimings.processing = 1.23456789
    ctx.upstreamTimings.response = 2
    const batch = record(ctx, [null])
    assertSame(batch)
    const decoded = bothEncodings(batch).proto as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }>
    }
    assert.equal(decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId, 'ab'.repeat(16))
  })

  test('error statuses, retries and a client that went away', () => {
    const failed = record(fakeContext({ status: 502 }), [new Error('connect ECONNREFUSED'), null])
    const gone = record(fakeContext({ status: 499 }), ['open', 'open'])
    assertSame([...failed, ...gone])
  })

  test('non-ASCII, control characters and long strings around every length boundary', () => {
    const batch: RequestSpans[] = []
    for (const path of ['/é/日本/\u2028', '/a"b\\c\u0001d', `/${'é'.repeat(31)}`]) {
      batch.push(...record(fakeContext({ path }), [null]))
    }
    for (const n of [30, 31, 32, 33, 60, 127, 128, 200, 16_300, 16_400, 70_000]) {
      batch.push(...record(fakeContext({ path: `/${'x'.repeat(n)}`, query: 'q=ü' }), [null]))
    }
    batch.push(...record(fakeContext({ host: `${'h'.repeat(300)}.example` }), [new Error('é')]))
    assertSame(batch)
  })

  test('max_attributes keeps the first ones, counts the rest, and tiny spans stay valid', () => {
    const batch = record(fakeContext(), [null])
    for (const max of [0, 1, 2, 7, 16]) assertSame(batch, max)
  })

  test('negative and large integers are int64 varints', () => {
    assertSame(record(fakeContext({ status: -5, responseSize: 2 ** 40 + 3 }), [null]))
  })

  test('a batch of 2,000 requests grows the buffer and decodes whole', () => {
    const batch: RequestSpans[] = []
    for (let i = 0; i < 2_000; i++) batch.push(...record(fakeContext({ path: `/p${i}` }), [null]))
    assertSame(batch)
  })

  test('is less than half the size of the JSON encoding', () => {
    const batch: RequestSpans[] = []
    for (let i = 0; i < 100; i++) batch.push(...record(fakeContext({ path: `/p${i}` }), [null]))
    const proto = encodeProto(protoEnvelope('pingap:web', 'pingap-ts'), batch, 16)
    const json = encodeJson(jsonEnvelope('pingap:web', 'pingap-ts'), batch, 16)
    assert.ok(proto.length * 2 < json.length, `${proto.length} vs ${json.length}`)
  })
})
