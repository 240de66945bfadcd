import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { describe, test } from 'node:test'
import { Tracing } from '../../../src/tracing/otel.ts'
import { eventually } from '../../helpers/eventually.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

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
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let body = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
      const data = JSON.parse(body.toString()) as {
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
  return { spans, services, port, close: () => new Promise<void>((r) => server.close(() => r())) }
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

  test('a bad otlp_exporter throws and keeps the current tracers', async () => {
    const tracing = new Tracing()
    await assert.rejects(
      tracing.sync([{ name: 'web', otlpExporter: 'http://c?bogus=1' }]),
      /servers\.web\.otlp_exporter/,
    )
    assert.equal(tracing.loaded, false)
  })
})
