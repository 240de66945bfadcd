import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { createServer as createHttp2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { describe, test } from 'node:test'
import { Tracing } from '../../../src/tracing/otel.ts'
import { eventually } from '../../helpers/eventually.ts'
import { fakeContext } from '../../helpers/fake-context.ts'
import { decodeOtlpBody } from '../../helpers/otlp-body.ts'

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Array<{ key: string; value: Record<string, unknown> }>
}

async function collector() {
  const spans: OtlpSpan[] = []
  const services: string[] = []
  const encodings: string[] = []
  const types: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      encodings.push(req.headers['content-encoding'] ?? 'identity')
      types.push(req.headers['content-type'] ?? '')
      const data = decodeOtlpBody(req.headers, Buffer.concat(chunks)) as unknown as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue: string } }> }
          scopeSpans: Array<{ spans: OtlpSpan[] }>
        }>
      }
      for (const rs of data.resourceSpans) {
        const name = rs.resource.attributes.find((a) => a.key === 'service.name')
        if (name !== undefined) services.push(name.value.stringValue)
        for (const ss of rs.scopeSpans) spans.push(...ss.spans)
      }
      res.setHeader('content-type', 'application/json')
      res.end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const close = () => new Promise<void>((r) => server.close(() => r()))
  return { spans, services, encodings, types, port, close }
}

/** An OTLP/gRPC endpoint that keeps each export's raw protobuf message and answers OK. */
async function grpcCollector() {
  const messages: Buffer[] = []
  const paths: string[] = []
  const compressed: boolean[] = []
  const server = createHttp2Server()
  server.on('stream', (stream, headers) => {
    paths.push(String(headers[':path']))
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      // gRPC framing: 1 byte compressed flag, 4 bytes length, then the message.
      const frame = Buffer.concat(chunks)
      const message = frame.subarray(5)
      compressed.push(frame[0] === 1)
      messages.push(frame[0] === 1 ? gunzipSync(message) : message)
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      )
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      stream.end(Buffer.alloc(5))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const close = () => new Promise<void>((r) => server.close(() => r()))
  return { messages, paths, compressed, port, close }
}

/** Runs one request with one upstream attempt through `tracing`; returns the traceparent sent. */
function oneRequest(tracing: Tracing, headers: Record<string, string> = {}) {
  const ctx = fakeContext({ headers: { host: 'example.com', ...headers } })
  const active = tracing.start('web', ctx)
  assert.ok(active)
  const upstream: Record<string, string | string[]> = {}
  active.upstreamStart('backend', '127.0.0.1:9', upstream)
  active.upstreamEnd()
  ctx.status = 200
  active.finish(ctx)
  return { ctx, active, upstream }
}

const PARENT_TRACE = '0af7651916cd43dd8448eb211c80319c'
const PARENT_SPAN = 'b7ad6b7169203331'

describe('Tracing', () => {
  test('nothing is loaded while no server sets otlp_exporter', async () => {
    const tracing = new Tracing()
    await tracing.sync([{ name: 'web', otlpExporter: undefined }])
    assert.equal(tracing.loaded, false)
    assert.equal(tracing.start('web', fakeContext()), undefined)
  })

  test('exports a SERVER span continuing the client trace and a CLIENT span it injects', async () => {
    const c = await collector()
    const tracing = new Tracing()
    try {
      await tracing.sync([
        { name: 'web', otlpExporter: `http://127.0.0.1:${c.port}/v1/traces?scheduled_delay=50ms` },
      ])
      assert.equal(tracing.loaded, true)
      const ctx = fakeContext({
        path: '/api/x',
        query: 'a=1',
        headers: { host: 'example.com', traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` },
      })
      const active = tracing.start('web', ctx)
      assert.ok(active)
      assert.equal(ctx.trace, active)
      assert.equal(active.traceId, PARENT_TRACE)
      assert.deepEqual(ctx.responseHeaders, [
        ['x-trace-id', PARENT_TRACE],
        ['x-span-id', active.spanId],
      ])
      const headers: Record<string, string | string[]> = {}
      active.upstreamStart('backend', '127.0.0.1:9', headers)
      const traceparent = String(headers['traceparent'])
      assert.match(traceparent, new RegExp(`^00-${PARENT_TRACE}-[0-9a-f]{16}-01$`))
      ctx.upstreamStatus = 200
      active.upstreamEnd()
      ctx.status = 200
      ctx.location = 'api'
      active.finish(ctx)
      await eventually(() => assert.equal(c.spans.length, 2), 5000)
      const server = c.spans.find((s) => s.kind === 2)
      const client = c.spans.find((s) => s.kind === 3)
      assert.ok(server && client)
      assert.equal(server.name, '/api/x')
      assert.equal(server.parentSpanId, PARENT_SPAN)
      assert.equal(client.name, 'upstream.backend')
      assert.equal(client.parentSpanId, server.spanId)
      assert.equal(traceparent.split('-')[2], client.spanId)
      const attrs = Object.fromEntries(server.attributes.map((a) => [a.key, a.value]))
      assert.deepEqual(attrs['http.url'], { stringValue: '/api/x?a=1' })
      assert.deepEqual(attrs['http.location'], { stringValue: 'api' })
      assert.deepEqual(c.services, ['pingap:web'])
    } finally {
      await tracing.shutdown()
      await c.close()
    }
  })

  test('sample_ratio=0 records nothing but still propagates ids, unsampled', async () => {
    const c = await collector()
    const tracing = new Tracing()
    try {
      const url = `http://127.0.0.1:${c.port}/v1/traces?sample_ratio=0&scheduled_delay=10ms`
      await tracing.sync([{ name: 'web', otlpExporter: url }])
      const { active, upstream, ctx } = oneRequest(tracing)
      assert.match(
        String(upstream['traceparent']),
        new RegExp(`^00-${active.traceId}-[0-9a-f]{16}-00$`),
      )
      assert.equal(ctx.responseHeaders?.length, 2)
      // A client's sampled decision is kept even at ratio 0.
      const parent = `00-${PARENT_TRACE}-${PARENT_SPAN}-01`
      const followed = oneRequest(tracing, { traceparent: parent })
      assert.match(String(followed.upstream['traceparent']), /-01$/)
      await eventually(() => assert.equal(c.spans.length, 2), 5000)
      await tracing.shutdown()
      assert.deepEqual(new Set(c.spans.map((s) => s.traceId)), new Set([PARENT_TRACE]))
    } finally {
      await tracing.shutdown()
      await c.close()
    }
  })

  test('shutdown exports what is queued; compression=none sends plain protobuf', async () => {
    const c = await collector()
    const tracing = new Tracing()
    try {
      const url = `http://127.0.0.1:${c.port}/v1/traces?compression=none&scheduled_delay=1h`
      await tracing.sync([{ name: 'web', otlpExporter: url }])
      oneRequest(tracing)
      oneRequest(tracing)
      assert.equal(c.spans.length, 0)
      await tracing.shutdown()
      assert.equal(c.spans.length, 4)
      assert.deepEqual(c.encodings, ['identity'])
      assert.deepEqual(c.types, ['application/x-protobuf'])
    } finally {
      await c.close()
    }
  })

  test('jaeger=true reads and writes uber-trace-id', async () => {
    const c = await collector()
    const tracing = new Tracing()
    try {
      const url = `http://127.0.0.1:${c.port}/v1/traces?jaeger=true`
      await tracing.sync([{ name: 'web', otlpExporter: url }])
      const { active, upstream } = oneRequest(tracing, {
        'uber-trace-id': `${PARENT_TRACE}:${PARENT_SPAN}:0:1`,
      })
      assert.equal(active.traceId, PARENT_TRACE)
      const [traceId, spanId, , flags] = String(upstream['uber-trace-id']).split(':')
      assert.equal(traceId, PARENT_TRACE)
      assert.equal(String(upstream['traceparent']), `00-${PARENT_TRACE}-${spanId}-01`)
      assert.equal(flags, '01')
    } finally {
      await tracing.shutdown()
      await c.close()
    }
  })

  test("Pingap's form exports over OTLP/gRPC", async () => {
    const c = await grpcCollector()
    const tracing = new Tracing()
    try {
      const url = `http://127.0.0.1:${c.port}?scheduled_delay=10ms`
      await tracing.sync([{ name: 'web', otlpExporter: url }])
      const { active } = oneRequest(tracing, {
        traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01`,
      })
      await eventually(() => assert.equal(c.messages.length, 1), 10_000)
      assert.deepEqual(c.paths, ['/opentelemetry.proto.collector.trace.v1.TraceService/Export'])
      assert.deepEqual(c.compressed, [true])
      const message = c.messages[0]!
      // The protobuf carries ids as raw bytes and names as UTF-8.
      for (const part of [
        Buffer.from(PARENT_TRACE, 'hex'),
        Buffer.from(PARENT_SPAN, 'hex'),
        Buffer.from(active.spanId, 'hex'),
        Buffer.from('pingap:web'),
        Buffer.from('upstream.backend'),
        Buffer.from('http.location'),
      ]) {
        assert.ok(message.includes(part), `missing ${part.toString('hex')}`)
      }
    } finally {
      await tracing.shutdown()
      await c.close()
    }
  })

  test('a bad otlp_exporter throws and keeps the current tracers', async () => {
    const tracing = new Tracing()
    await assert.rejects(
      tracing.sync([{ name: 'web', otlpExporter: 'http://c?bogus=1' }]),
      /servers\.web\.otlp_exporter/,
    )
    assert.equal(tracing.loaded, false)
  })
})
