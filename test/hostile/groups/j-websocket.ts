/** Group J of the catalogue: WebSocket upgrades through the proxy (a byte tunnel after 101). */
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { describe, test } from 'node:test'
import { WebSocket } from 'ws'
import { eventually } from '../../helpers/eventually.ts'
import { within } from '../../helpers/within.ts'
import { canary, type HostileEnv } from '../helpers/env.ts'
import { rssMb } from '../helpers/proxy.ts'
import { openSocket, raw, rawOn } from '../helpers/raw.ts'
import { tally } from '../helpers/tally.ts'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

function handshake(host: string, extra = '', version = '1.1'): string {
  return (
    `GET /ws HTTP/${version}\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`
  )
}

/** A raw socket upgraded through the proxy to the echo server. */
async function upgraded(port: number): Promise<Socket> {
  const socket = await openSocket(port)
  const res = await rawOn(socket, handshake('ws.test'), {
    until: (t) => t.includes('\r\n\r\n'),
    timeoutMs: 5_000,
  })
  assert.equal(res.statuses[0], 101, res.text.slice(0, 200))
  return socket
}

function client(port: number): Promise<WebSocket> {
  const opened = new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host: 'ws.test' } })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
  return within(opened, 5_000, 'WebSocket handshake through the proxy')
}

function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => resolve(data.toString()))
    ws.send(text)
  })
}

export function groupJ(env: () => HostileEnv): void {
  describe('J. WebSocket', () => {
    test('J1 upgrade to a non-WebSocket upstream: its answer, no tunnel', async () => {
      const e = env()
      const mark = e.rec.mark()
      const res = await raw(e.port, handshake('wsplain.test'), { responses: 1, timeoutMs: 5_000 })
      assert.equal(res.statuses[0], 200, res.text.slice(0, 200))
      assert.ok(e.rec.since(mark).requests.some((r) => r.target === '/ws'))
      await canary(e)
      tally('J1')
    })

    test('J2 Upgrade: h2c is never tunnelled', async () => {
      const e = env()
      const mark = e.rec.mark()
      const res = await raw(
        e.port,
        'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
          'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
        { responses: 1 },
      )
      assert.ok(res.statuses[0] === 400 || res.statuses[0] === 200, res.text.slice(0, 200))
      assert.ok(!res.text.includes(' 101 '))
      for (const r of e.rec.since(mark).requests) {
        assert.equal(e.rec.header(r, 'upgrade'), undefined, 'Upgrade: h2c forwarded')
      }
      await canary(e)
      tally('J2')
    })

    test('J3 client aborts mid-frame: the upstream connection closes', async () => {
      const e = env()
      const before = e.ws.clients()
      const socket = await upgraded(e.port)
      await eventually(() => assert.equal(e.ws.clients(), before + 1))
      socket.write(Buffer.from([0x81, 0xfe, 0x10]))
      socket.destroy()
      await eventually(() => assert.equal(e.ws.clients(), before), 5_000)
      await canary(e)
      tally('J3')
    })

    test('J4 upstream aborts: the client connection closes', async () => {
      const e = env()
      const ws = await client(e.port)
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
      ws.send('die')
      assert.equal(await within(closed, 5_000, 'client close after the upstream aborted'), 1006)
      await canary(e)
      tally('J4')
    })

    test('J5 a frame declaring 2^62 bytes: streamed through, memory flat', async () => {
      const e = env()
      const before = rssMb(e.proxy.pid)
      const socket = await upgraded(e.port)
      socket.on('error', () => undefined)
      const header = Buffer.from([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])
      socket.write(header)
      const chunk = Buffer.alloc(256 * 1024)
      for (let i = 0; i < 16 && !socket.destroyed; i++) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r))
      }
      // The echo server refuses frames over 1 MB and closes; the tunnel follows.
      await eventually(() => assert.ok(socket.destroyed || socket.readableEnded), 5_000)
      socket.destroy()
      assert.ok(rssMb(e.proxy.pid) - before < 50)
      await canary(e)
      tally('J5')
    })

    test('J6 an idle WebSocket outlives the HTTP timeouts', async () => {
      const e = env()
      const ws = await client(e.port)
      // An idle keep-alive connection opened now marks the passing of the HTTP timeouts.
      const marker = await openSocket(e.port)
      marker.on('error', () => undefined)
      await rawOn(marker, 'GET /canary HTTP/1.1\r\nHost: canary.test\r\n\r\n', { responses: 1 })
      await eventually(() => assert.ok(marker.destroyed || marker.readableEnded), 15_000)
      assert.equal(ws.readyState, WebSocket.OPEN, 'the tunnel was cut by an HTTP timeout')
      assert.equal(await echo(ws, 'still here'), 'still here')
      ws.close()
      await canary(e)
      tally('J6')
    })

    test('J7 handshake with a body, or in HTTP/1.0: no tunnel', async () => {
      const e = env()
      const withBody = await raw(e.port, `${handshake('ws.test', 'Content-Length: 5\r\n')}hello`, {
        responses: 1,
        until: (t) => t.includes('\r\n\r\n'),
      })
      assert.equal(withBody.statuses[0], 400, withBody.text.slice(0, 200))
      const old = await raw(e.port, handshake('ws.test', '', '1.0'), { responses: 1 })
      assert.notEqual(old.statuses[0], 101, 'an HTTP/1.0 request was upgraded')
      await canary(e)
      tally('J7', 2)
    })
  })
}
