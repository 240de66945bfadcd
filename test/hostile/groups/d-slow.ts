/** Group D of the catalogue: slow and idle clients, cut at the configured deadlines. */
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { canary, fdsSettle, LIMITS, type HostileEnv } from '../helpers/env.ts'
import { rssMb } from '../helpers/proxy.ts'
import { openSocket, raw, rawOn } from '../helpers/raw.ts'
import { tally } from '../helpers/tally.ts'
import { HOLD_BYTES } from '../../../src/proxy/request-body.ts'

/** Waits for `socket` to close; resolves with the time it took from `since`. */
function closedAfter(socket: Socket, since: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      resolve(performance.now() - since)
      return
    }
    const timer = setTimeout(() => reject(new Error('socket not closed in time')), timeoutMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(performance.now() - since)
    })
  })
}

/** Opens `n` connections; each writes `first` and then nothing. */
async function openMany(port: number, n: number, first = ''): Promise<Socket[]> {
  const sockets: Socket[] = []
  for (let i = 0; i < n; i++) {
    const s = await openSocket(port)
    s.on('error', () => undefined)
    s.on('data', () => undefined)
    if (first !== '') s.write(first)
    sockets.push(s)
  }
  return sockets
}

export function groupD(env: () => HostileEnv): void {
  describe('D. slow and idle clients', () => {
    test('D1 slowloris: 408 + close at the header timeout while others are served', async () => {
      const e = env()
      const socket = await openSocket(e.port)
      const started = performance.now()
      const chunks: Buffer[] = []
      socket.on('data', (d: Buffer) => chunks.push(d))
      socket.on('error', () => undefined)
      socket.write('GET / HTTP/1.1\r\nHost: a\r\n')
      const drip = setInterval(() => {
        if (!socket.destroyed) socket.write('X-Drip: 1\r\n')
      }, 300)
      // A crowd of slow connections at the same time, and normal clients in between.
      const crowd = await openMany(e.port, 200, 'GET / HTTP/1.1\r\nHost: a\r\n')
      try {
        for (let i = 0; i < 5; i++) await canary(e)
        const elapsed = await closedAfter(socket, started, 10_000)
        const text = Buffer.concat(chunks).toString('latin1')
        assert.match(text, /^HTTP\/1\.1 408 /, text.slice(0, 100))
        assert.ok(elapsed >= LIMITS.headerTimeoutMs * 0.9, `cut too early: ${elapsed} ms`)
        assert.ok(elapsed < LIMITS.headerTimeoutMs + 2_500, `cut too late: ${elapsed} ms`)
        await eventually(() => assert.ok(crowd.every((s) => s.destroyed)), 10_000)
      } finally {
        clearInterval(drip)
        for (const s of crowd) s.destroy()
        socket.destroy()
      }
      await canary(e)
      tally('D1', 201)
    })

    test('D2 slow body: 408 + close at the body deadline; nothing or an aborted request upstream', async () => {
      const e = env()
      for (const sent of [10, HOLD_BYTES + 100]) {
        const mark = e.rec.mark()
        const abandoned = e.rec.abandoned.length
        const socket = await openSocket(e.port)
        const started = performance.now()
        try {
          const res = await rawOn(
            socket,
            [
              `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${3 * HOLD_BYTES}\r\n\r\n`,
              'x'.repeat(sent),
            ],
            { timeoutMs: LIMITS.bodyTimeoutMs + 5_000 },
          )
          const elapsed = performance.now() - started
          assert.equal(res.statuses[0], 408, res.text.slice(0, 200))
          assert.ok(res.closed)
          assert.ok(elapsed >= LIMITS.bodyTimeoutMs * 0.9, `cut too early: ${elapsed} ms`)
        } finally {
          socket.destroy()
        }
        if (sent < HOLD_BYTES) {
          // A dripping client never held an upstream connection.
          assert.equal(
            e.rec.since(mark).bytes,
            0,
            'a slow body under HOLD_BYTES reached the upstream',
          )
        } else {
          await eventually(() =>
            assert.ok(e.rec.abandoned.slice(abandoned).some((l) => l.startsWith('POST /upload'))),
          )
        }
      }
      await canary(e)
      tally('D2', 2)
    })

    test('D3 slow reader: memory flat, cut after the write-idle timeout, upstream released', async () => {
      const e = env()
      const before = rssMb(e.proxy.pid)
      const socket = await openSocket(e.port)
      socket.pause() // never read
      socket.on('error', () => undefined)
      const started = performance.now()
      socket.write('GET /e/big?d3 HTTP/1.1\r\nHost: evil.test\r\n\r\n')
      try {
        const big = await eventually(() => {
          const found = e.evil.requests.find((r) => r.target === '/e/big?d3')
          assert.ok(found !== undefined)
          return found
        })
        // The proxy gives up on the client, which releases the upstream stream.
        await eventually(
          () => assert.ok(!e.evil.isOpen(big.connection), 'upstream still streaming'),
          LIMITS.writeIdleMs + 10_000,
        )
        const elapsed = performance.now() - started
        assert.ok(elapsed >= LIMITS.writeIdleMs * 0.9, `cut too early: ${elapsed} ms`)
        assert.ok(rssMb(e.proxy.pid) - before < 50, 'the proxy buffered the unread response')
        // The client finally reads: a short response, then the end.
        let received = 0
        socket.on('data', (d: Buffer) => (received += d.length))
        socket.resume()
        await closedAfter(socket, started, 10_000)
        assert.ok(received < 50 * 1024 * 1024, 'the whole 50 MB was delivered')
      } finally {
        socket.destroy()
      }
      await canary(e)
      tally('D3')
    })

    test('D4 idle keep-alive connections close after the keep-alive timeout; in-flight ones do not', async () => {
      const e = env()
      const sockets = await openMany(e.port, 100)
      const started = performance.now()
      await Promise.all(
        sockets.map((s) =>
          rawOn(s, 'GET /canary HTTP/1.1\r\nHost: canary.test\r\n\r\n', { responses: 1 }),
        ),
      )
      assert.ok(sockets.every((s) => !s.destroyed))
      // A request slower than every client timeout must still complete.
      const slow = raw(e.port, 'GET /e/slow?ms=3500 HTTP/1.1\r\nHost: race.test\r\n\r\n', {
        responses: 1,
        timeoutMs: 10_000,
      })
      const elapsed = await Promise.all(sockets.map((s) => closedAfter(s, started, 15_000)))
      assert.ok(Math.min(...elapsed) >= LIMITS.keepAliveMs * 0.9, 'closed before the timeout')
      const res = await slow
      assert.equal(res.statuses[0], 200, 'a slow in-flight request was cut')
      await canary(e)
      tally('D4', 101)
    })

    test('D5 connection flood: idle connections cost little and the canary still works', async () => {
      const e = env()
      const before = rssMb(e.proxy.pid)
      const sockets = await openMany(e.port, 2_000)
      try {
        await canary(e)
        const grown = rssMb(e.proxy.pid) - before
        assert.ok(grown < 60, `2,000 idle connections cost ${grown.toFixed(1)} MB`)
      } finally {
        for (const s of sockets) s.destroy()
      }
      await fdsSettle(e, 10, 10_000)
      await canary(e)
      tally('D5', 2_000)
    })
  })
}
