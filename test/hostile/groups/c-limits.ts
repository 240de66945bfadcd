/** Group C of the catalogue: size limits. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { expectRefused } from '../helpers/checks.ts'
import { canary, LIMITS, type HostileEnv } from '../helpers/env.ts'
import { openSocket, raw, rawOn } from '../helpers/raw.ts'
import { tally } from '../helpers/tally.ts'

function headers(n: number, prefix = 'x'): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}: 1\r\n`).join('')
}

export function groupC(env: () => HostileEnv): void {
  describe('C. size limits', () => {
    test('C1 long URL → 414, nothing forwarded', async () => {
      const e = env()
      const long = `/${'a'.repeat(LIMITS.maxUrl + 10)}`
      await expectRefused(e, `GET ${long} HTTP/1.1\r\nHost: a\r\n\r\n`, { status: [414] }, 'C1')
      // Longer than the whole header block: Node's parser stops it; still 414 (or 431).
      const huge = `/${'a'.repeat(20_000)}`
      await expectRefused(
        e,
        `GET ${huge} HTTP/1.1\r\nHost: a\r\n\r\n`,
        { status: [414, 431] },
        'C1',
      )
      // Just under the limit passes.
      const ok = `/${'a'.repeat(LIMITS.maxUrl - 10)}`
      const res = await raw(e.port, `GET ${ok} HTTP/1.1\r\nHost: a\r\n\r\n`, { responses: 1 })
      assert.equal(res.statuses[0], 200)
      tally('C1', 3)
    })

    test('C2 one huge header → 431', async () => {
      await expectRefused(
        env(),
        `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`,
        { status: [431] },
        'C2',
      )
      tally('C2')
    })

    test('C3 too many headers → 431 (counted by the proxy, not silently truncated)', async () => {
      const e = env()
      const over = LIMITS.maxHeaderCount + 20
      await expectRefused(
        e,
        `GET / HTTP/1.1\r\nHost: a\r\n${headers(over)}\r\n`,
        { status: [431] },
        'C3',
      )
      await expectRefused(
        e,
        `GET / HTTP/1.1\r\nHost: a\r\n${headers(2_100)}\r\n`,
        { status: [431] },
        'C3',
      )
      const mark = e.rec.mark()
      const under = LIMITS.maxHeaderCount - 5
      const res = await raw(e.port, `GET /c3 HTTP/1.1\r\nHost: a\r\n${headers(under)}\r\n`, {
        responses: 1,
      })
      assert.equal(res.statuses[0], 200)
      const [sent] = e.rec.since(mark).requests
      assert.equal(e.rec.header(sent!, `x${under - 1}`), '1', 'a header under the limit was lost')
      tally('C3', 3)
    })

    test('C4 total header bytes → 431', async () => {
      await expectRefused(
        env(),
        `GET / HTTP/1.1\r\nHost: a\r\n${headers(5_000)}\r\n`,
        { status: [431] },
        'C4',
      )
      tally('C4')
    })

    test('C5 declared body over the limit → 413 before reading, no 100-continue', async () => {
      const e = env()
      const head = (extra: string): string =>
        `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10485760\r\n${extra}\r\n`
      await expectRefused(e, head(''), { status: [413], close: false }, 'C5')
      const res = await expectRefused(
        e,
        head('Expect: 100-continue\r\n'),
        { status: [413] },
        'C5 expect',
      )
      assert.ok(!res.text.includes('100 Continue'), 'a 100 Continue was sent before the 413')
      tally('C5', 2)
    })

    test('C6 chunked body growing past the limit: 413 or abort, never a complete upstream request', async () => {
      const e = env()
      const mark = e.rec.mark()
      const socket = await openSocket(e.port)
      try {
        const chunk = `4000\r\n${'x'.repeat(0x4000)}\r\n`
        const parts = [
          'POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
          ...Array.from({ length: 128 }, () => chunk),
          '0\r\n\r\n',
        ]
        const res = await rawOn(socket, parts, { timeoutMs: 8_000 })
        assert.ok(res.closed, 'connection left open after an oversized body')
        assert.ok(
          res.statuses.every((s) => s === 413),
          res.text.slice(0, 200),
        )
      } finally {
        socket.destroy()
      }
      await eventually(() => assert.equal(e.rec.unexpected(mark).length, 0))
      await canary(e)
      tally('C6')
    })

    test('C7 upstream response headers too big → 502', async () => {
      const e = env()
      const res = await raw(e.port, 'GET /e/big-header HTTP/1.1\r\nHost: evil.test\r\n\r\n', {
        responses: 1,
      })
      assert.equal(res.statuses[0], 502)
      await canary(e)
      tally('C7')
    })
  })
}
