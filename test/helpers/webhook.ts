/**
 * A webhook receiver on 127.0.0.1 for notification tests: records every JSON body pingap-ts
 * posts (Pingap's "normal" payload) and answers 200.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Pingap's `normal` webhook payload. */
export interface ReceivedNotification {
  readonly name: string
  readonly level: string
  readonly hostname: string
  readonly category: string
  readonly message: string
}

export interface WebhookReceiver {
  readonly received: ReceivedNotification[]
  /** `http://127.0.0.1:<port>/hook`, for `basic.webhook`. */
  readonly url: string
  close(): Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedNotification[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push(JSON.parse(body) as ReceivedNotification)
      res.end('ok')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    received,
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
