/**
 * A stand-in OpenTelemetry collector for the tracing scenario: an OTLP/HTTP endpoint in the
 * bench process that reads each export and answers 200, so the proxy pays for making and
 * sending spans but never waits on a real collector.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running sink: its traces URL, the bytes and exports received so far, and `close`. */
export interface OtlpSink {
  readonly url: string
  received(): { exports: number; bytes: number }
  close(): Promise<void>
}

/** Starts the sink on 127.0.0.1 (a free port). */
export async function startOtlpSink(): Promise<OtlpSink> {
  let bytes = 0
  let exports = 0
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length))
    req.on('end', () => {
      exports++
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    received: () => ({ exports, bytes }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
