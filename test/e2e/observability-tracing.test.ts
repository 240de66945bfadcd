/**
 * OpenTelemetry against the real binary: spans are exported to an OTLP/HTTP receiver started
 * here (JSON encoding, gzip), the upstream sees the same trace id in `traceparent`, responses
 * carry X-Trace-Id / X-Span-Id, and a server without `otlp_exporter` is not traced.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { tables } from '../helpers/spec.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'
import { decodeOtlpBody } from '../helpers/otlp-body.ts'

interface Span {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: ReadonlyArray<{ key: string; value: Record<string, unknown> }>
}

interface Export {
  readonly service: string
  readonly spans: Span[]
}

const SERVER = 2
const CLIENT = 3

async function otlpReceiver() {
  const exports: Export[] = []
  const paths: string[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      paths.push(req.url ?? '')
      const data = decodeOtlpBody(req.headers, Buffer.concat(chunks)) as unknown as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }
          scopeSpans: Array<{ spans: Span[] }>
        }>
      }
      for (const rs of data.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')
        exports.push({
          service: service?.value.stringValue ?? '',
          spans: rs.scopeSpans.flatMap((s) => s.spans),
        })
      }
      res.setHeader('content-type', 'application/json')
      res.end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const spans = (): Span[] => exports.flatMap((e) => e.spans)
  return {
    exports,
    paths,
    spans,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

function attribute(span: Span, key: string): unknown {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : Object.values(value)[0]
}

describe('OpenTelemetry traces', () => {
  let pingap: Pingap
  let upstream: TestUpstream
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>

  before(async () => {
    upstream = await startUpstream(undefined, 'traced')
    receiver = await otlpReceiver()
    // Two servers on "127.0.0.1:0" would share one listener: give each its own port.
    const [tracedPort, plainPort] = [await closedPort(), await closedPort()]
    pingap = await startPingap(
      {
        'pingap.toml': [
          tables('upstreams', { app: { addrs: [upstream.addr] } }),
          tables('locations', { api: { path: '/api', upstream: 'app' } }),
          tables('servers', {
            traced: {
              addr: `127.0.0.1:${tracedPort}`,
              locations: ['api'],
              otlp_exporter: `http://127.0.0.1:${receiver.port}/v1/traces?scheduled_delay=100ms&timeout=2s`,
            },
            plain: { addr: `127.0.0.1:${plainPort}`, locations: ['api'] },
          }),
        ].join('\n'),
      },
      { waitFor: ['traced', 'plain'] },
    )
  })

  after(async () => {
    await pingap.stop()
    await upstream.close()
    await receiver.close()
  })

  test('a client trace continues through the proxy to the upstream and the collector', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const clientSpan = '00f067aa0ba902b7'
    const res = await request(pingap.servers.get('traced')!, '/api/orders?id=7', {
      headers: { traceparent: `00-${traceId}-${clientSpan}-01`, tracestate: 'vendor=x' },
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers['x-trace-id'], traceId)
    const spanId = String(res.headers['x-span-id'])
    assert.match(spanId, /^[0-9a-f]{16}$/)

    const seen = upstream.seen.find((s) => s.url === '/api/orders?id=7')
    assert.ok(seen)
    const [, upTrace, upParent] = String(seen.headers.traceparent).split('-')
    assert.equal(upTrace, traceId)
    assert.equal(seen.headers.tracestate, 'vendor=x')

    const spans = await eventually(() => {
      const mine = receiver.spans().filter((s) => s.traceId === traceId)
      assert.equal(mine.length, 2, `spans so far: ${receiver.spans().length}`)
      return mine
    }, 10_000)
    const server = spans.find((s) => s.kind === SERVER)!
    const client = spans.find((s) => s.kind === CLIENT)!
    assert.equal(server.spanId, spanId)
    assert.equal(server.parentSpanId, clientSpan)
    assert.equal(server.name, '/api/orders')
    assert.equal(client.parentSpanId, server.spanId)
    assert.equal(client.name, 'upstream.app')
    // The upstream's parent is the proxy's CLIENT span.
    assert.equal(upParent, client.spanId)
    assert.equal(attribute(server, 'http.method'), 'GET')
    assert.equal(attribute(server, 'http.url'), '/api/orders?id=7')
    assert.equal(attribute(server, 'http.location'), 'api')
    assert.equal(String(attribute(server, 'http.status_code')), '200')
    assert.equal(attribute(client, 'upstream.addr'), upstream.addr)
    assert.ok(receiver.paths.every((p) => p === '/v1/traces'))
    assert.ok(receiver.exports.every((e) => e.service === 'pingap:traced'))
  })

  test('a request without traceparent starts a trace the upstream joins', async () => {
    const res = await request(pingap.servers.get('traced')!, '/api/fresh')
    const traceId = String(res.headers['x-trace-id'])
    assert.match(traceId, /^[0-9a-f]{32}$/)
    const seen = upstream.seen.find((s) => s.url === '/api/fresh')
    assert.equal(String(seen?.headers.traceparent).split('-')[1], traceId)
    await eventually(() => {
      assert.equal(receiver.spans().filter((s) => s.traceId === traceId).length, 2)
    }, 10_000)
  })

  test('a server without otlp_exporter is not traced', async () => {
    const incoming = '00-11111111111111111111111111111111-2222222222222222-01'
    const res = await request(pingap.servers.get('plain')!, '/api/plain', {
      headers: { traceparent: incoming },
    })
    assert.equal(res.status, 200)
    assert.equal(res.headers['x-trace-id'], undefined)
    // Forwarded untouched, as any other header.
    const seen = upstream.seen.find((s) => s.url === '/api/plain')
    assert.equal(seen?.headers.traceparent, incoming)
  })
})
