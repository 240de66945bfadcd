/**
 * The protobuf encoding is checked against two independent oracles: protobufjs decodes it with
 * the OTLP schema (test/helpers/otlp-body.ts), and the decoded export must equal the JSON
 * encoding (otlp-json.ts, tested on its own) of the same batch.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { encodeJson, jsonEnvelope } from '../../../src/tracing/otlp-json.ts'
import { encodeProto, protoEnvelope } from '../../../src/tracing/otlp-proto.ts'
import type { RequestSpans } from '../../../src/tracing/spans.ts'
import { fakeContext } from '../../helpers/fake-context.ts'
import { recordRequest, tracedContext } from '../../helpers/request-spans.ts'
import { decodeOtlpProtobuf } from '../../helpers/otlp-body.ts'

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
    const ctx = tracedContext()
    ctx.upstreamTimings.connect = 0.25
    ctx.upstreamTimings.response = 2
    const batch = recordRequest(ctx, [null])
    assertSame(batch)
    const decoded = bothEncodings(batch).proto as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }>
    }
    assert.equal(decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId, 'ab'.repeat(16))
  })

  test('error statuses, retries and a client that went away', () => {
    const failed = recordRequest(fakeContext({ status: 502 }), [
      new Error('connect ECONNREFUSED'),
      null,
    ])
    const gone = recordRequest(fakeContext({ status: 499 }), ['open', 'open'])
    assertSame([...failed, ...gone])
  })

  test('non-ASCII, control characters and long strings around every length boundary', () => {
    const batch: RequestSpans[] = []
    for (const path of ['/é/日本/\u2028', '/a"b\\c\u0001d', `/${'é'.repeat(31)}`]) {
      batch.push(...recordRequest(fakeContext({ path }), [null]))
    }
    for (const n of [30, 31, 32, 33, 60, 127, 128, 200, 16_300, 16_400, 70_000]) {
      batch.push(...recordRequest(fakeContext({ path: `/${'x'.repeat(n)}`, query: 'q=ü' }), [null]))
    }
    batch.push(
      ...recordRequest(fakeContext({ host: `${'h'.repeat(300)}.example` }), [new Error('é')]),
    )
    assertSame(batch)
  })

  test('max_attributes keeps the first ones, counts the rest, and tiny spans stay valid', () => {
    const batch = recordRequest(fakeContext(), [null])
    for (const max of [0, 1, 2, 7, 16]) assertSame(batch, max)
  })

  test('negative and large integers are int64 varints', () => {
    assertSame(recordRequest(fakeContext({ status: -5, responseSize: 2 ** 40 + 3 }), [null]))
  })

  test('a batch of 2,000 requests grows the buffer and decodes whole', () => {
    const batch: RequestSpans[] = []
    for (let i = 0; i < 2_000; i++)
      batch.push(...recordRequest(fakeContext({ path: `/p${i}` }), [null]))
    assertSame(batch)
  })

  test('is less than half the size of the JSON encoding', () => {
    const batch: RequestSpans[] = []
    for (let i = 0; i < 100; i++)
      batch.push(...recordRequest(fakeContext({ path: `/p${i}` }), [null]))
    const proto = encodeProto(protoEnvelope('pingap:web', 'pingap-ts'), batch, 16)
    const json = encodeJson(jsonEnvelope('pingap:web', 'pingap-ts'), batch, 16)
    assert.ok(proto.length * 2 < json.length, `${proto.length} vs ${json.length}`)
  })
})
