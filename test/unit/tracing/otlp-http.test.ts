import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { describe, test } from 'node:test'
import { parseOtlpExporter, type OtlpOptions } from '../../../src/tracing/exporter-options.ts'
import { createHttpExporter } from '../../../src/tracing/otlp-http.ts'
import { RequestSpans } from '../../../src/tracing/spans.ts'
import { fakeContext } from '../../helpers/fake-context.ts'
import { decodeOtlpBody, decodeOtlpProtobuf } from '../../helpers/otlp-body.ts'

interface Received {
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: Buffer
}

/** A collector answering each export with the next of `statuses` (then 200); 0 = never. */
async function collector(statuses: number[]) {
  const received: Received[] = []
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
      const status = statuses.shift() ?? 200
      if (status !== 0) res.writeHead(status, { 'content-type': 'application/json' }).end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections()
      server.close(() => r())
    })
  return { received, port, close }
}

function options(port: number, query = ''): OtlpOptions {
  return parseOtlpExporter(`http://127.0.0.1:${port}/v1/traces${query}`, 'x') as OtlpOptions
}

function batch(): RequestSpans[] {
  const out: RequestSpans[] = []
  const spans = new RequestSpans(
    { sampleRatio: 1, jaeger: false, sink: { add: (s) => out.push(s) } },
    fakeContext({ path: '/p' }),
  )
  spans.finish(fakeContext({ status: 200 }))
  return out
}

describe('createHttpExporter', () => {
  test('POSTs gzipped OTLP protobuf to the path, reusing one connection', async () => {
    const c = await collector([])
    const exporter = createHttpExporter(options(c.port), 'pingap:web')
    try {
      await exporter.export(batch())
      await exporter.export(batch())
      assert.equal(c.received.length, 2)
      const [first] = c.received as [Received]
      assert.equal(first.url, '/v1/traces')
      assert.equal(first.headers['content-type'], 'application/x-protobuf')
      assert.equal(first.headers['content-encoding'], 'gzip')
      assert.equal(first.headers.connection, 'keep-alive')
      const body = decodeOtlpProtobuf(gunzipSync(first.body))
      assert.equal(body.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name, '/p')
    } finally {
      await exporter.shutdown()
      await c.close()
    }
  })

  test('protocol=http/json sends the JSON encoding', async () => {
    const c = await collector([])
    const exporter = createHttpExporter(options(c.port, '?protocol=http/json'), 'pingap:web')
    try {
      await exporter.export(batch())
      const [first] = c.received as [Received]
      assert.equal(first.headers['content-type'], 'application/json')
      const body = decodeOtlpBody(first.headers, first.body)
      assert.equal(body.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name, '/p')
    } finally {
      await exporter.shutdown()
      await c.close()
    }
  })

  test('a 503 is retried; a 400 is not', async () => {
    const c = await collector([503, 200, 400])
    const exporter = createHttpExporter(options(c.port, '?compression=none'), 'pingap:web')
    try {
      await exporter.export(batch())
      assert.equal(c.received.length, 2)
      assert.equal(c.received[0]?.headers['content-encoding'], undefined)
      await assert.rejects(exporter.export(batch()), /answered 400/)
      assert.equal(c.received.length, 3)
    } finally {
      await exporter.shutdown()
      await c.close()
    }
  })

  test('an endpoint that never answers fails after `timeout`', async () => {
    const c = await collector([0])
    const exporter = createHttpExporter(options(c.port, '?timeout=100ms'), 'pingap:web')
    try {
      await assert.rejects(exporter.export(batch()), /timed out after 100 ms/)
    } finally {
      await exporter.shutdown()
      await c.close()
    }
  })
})
