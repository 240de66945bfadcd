/** Group A of the catalogue: HTTP/1.1 framing and request smuggling. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { expectOneThenCanary, expectRefused } from '../helpers/checks.ts'
import { canary, type HostileEnv } from '../helpers/env.ts'
import { openSocket, raw, rawOn } from '../helpers/raw.ts'
import { rssMb } from '../helpers/proxy.ts'
import { tally } from '../helpers/tally.ts'
import { MAX_PIPELINED } from '../../../src/proxy/connection-guard.ts'
import { HOLD_BYTES } from '../../../src/proxy/request-body.ts'

const H = 'POST / HTTP/1.1\r\nHost: a\r\n'

/** Polls `count` until it stops changing (five equal readings 100 ms apart). */
async function settledCount(count: () => number): Promise<number> {
  let last = -1
  let stable = 0
  return eventually(
    () => {
      const now = count()
      stable = now === last ? stable + 1 : 0
      last = now
      assert.ok(stable >= 5, 'still changing')
      return now
    },
    15_000,
    100,
  )
}

/** Each payload must get exactly one 400, a close, and nothing forwarded. */
async function allRefused(
  env: HostileEnv,
  id: string,
  payloads: readonly string[],
  status: readonly number[] = [400],
  streamed = false,
): Promise<void> {
  for (const p of payloads) {
    await expectRefused(env, p, { status, streamed }, `${id} ${JSON.stringify(p)}`)
  }
  tally(id, payloads.length)
}

export function groupA(env: () => HostileEnv): void {
  describe('A. framing and smuggling', () => {
    test('A1 CL.TE → 400 + close, nothing forwarded', async () => {
      await allRefused(env(), 'A1', [
        `${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG`,
      ])
    })

    test('A2 TE.CL → 400 + close', async () => {
      await allRefused(env(), 'A2', [
        `${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n`,
      ])
    })

    test('A3 TE obfuscation → 400', async () => {
      await allRefused(env(), 'A3', [
        `${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
        `${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
        `${H}Transfer-Encoding:\tchunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
        `${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
        `${H}X: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        `${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n`,
        `${H}Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n`,
      ])
    })

    test('A4 TE forms Node accepts reach the upstream with the proxy framing only', async () => {
      const e = env()
      const forms = ['identity, chunked', ',chunked', 'CHUNKED']
      for (const te of forms) {
        const mark = e.rec.mark()
        const res = await raw(
          e.port,
          `${H}Transfer-Encoding: ${te}\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
          {
            responses: 1,
          },
        )
        const status = res.statuses[0]
        assert.ok(status === 200 || status === 400, `TE ${te}: ${res.text.slice(0, 200)}`)
        const seen = e.rec.since(mark).requests
        if (status === 400) assert.equal(seen.length, 0)
        else {
          assert.equal(seen.length, 1, `TE ${te}: upstream saw ${seen.length} requests`)
          const sent = seen[0]!
          assert.equal(sent.body.toString(), 'hello')
          const upTe = e.rec.header(sent, 'transfer-encoding')
          assert.ok(upTe === undefined || upTe === 'chunked', `TE ${te} forwarded as ${upTe}`)
        }
        await canary(e)
      }
      tally('A4', forms.length)
    })

    test('A5 TE given twice → 400', async () => {
      await allRefused(env(), 'A5', [
        `${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      ])
    })

    test('A6 TE in HTTP/1.0 → 400 + close, nothing forwarded', async () => {
      await allRefused(env(), 'A6', [
        'POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ])
    })

    test('A7 conflicting Content-Length → 400', async () => {
      await allRefused(env(), 'A7', [`${H}Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello`])
    })

    test('A8 identical Content-Length list → 400', async () => {
      await allRefused(env(), 'A8', [
        `${H}Content-Length: 5, 5\r\n\r\nhello`,
        `${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`,
      ])
    })

    test('A9 malformed Content-Length → 400', async () => {
      const values = ['+5', '-1', '0x5', '5 5', '', '1Z', '99999999999999999999']
      await allRefused(
        env(),
        'A9',
        values.map((v) => `${H}Content-Length: ${v}\r\n\r\nhello`),
      )
    })

    test('A10 Content-Length 005 reaches the upstream as 5', async () => {
      const e = env()
      const mark = e.rec.mark()
      const res = await raw(e.port, `${H}Content-Length: 005\r\n\r\nhello`, { responses: 1 })
      assert.equal(res.statuses[0], 200)
      const [sent] = e.rec.since(mark).requests
      assert.equal(e.rec.header(sent!, 'content-length'), '5')
      assert.equal(sent!.body.toString(), 'hello')
      await canary(e)
      tally('A10')
    })

    test('A11 space before a header name → 400', async () => {
      await allRefused(env(), 'A11', [`${H} Content-Length: 5\r\n\r\nhello`])
    })

    test('A12 space before the colon → 400', async () => {
      await allRefused(env(), 'A12', [`${H}Content-Length : 5\r\n\r\nhello`])
    })

    test('A13 chunk-size tricks → 400 + close', async () => {
      const te = `${H}Transfer-Encoding: chunked\r\n\r\n`
      await allRefused(
        env(),
        'A13',
        [
          `${te}FFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n`,
          `${te}0x5\r\nhello\r\n0\r\n\r\n`,
          `${te}+5\r\nhello\r\n0\r\n\r\n`,
          `${te} 5\r\nhello\r\n0\r\n\r\n`,
          `${te}0_5\r\nhello\r\n0\r\n\r\n`,
          `${te}3\r\nhello\r\n0\r\n\r\n`,
        ],
        [400],
        true,
      )
    })

    test('A14 chunk line-end tricks → 400 + close', async () => {
      const te = `${H}Transfer-Encoding: chunked\r\n\r\n`
      await allRefused(
        env(),
        'A14',
        [`${te}5;a=b\nhello\r\n0\r\n\r\n`, `${te}5\r\r;a\r\nhello\r\n0\r\n\r\n`],
        [400],
        true,
      )
    })

    test('A15 chunk-extension flood → 413/400 + close', async () => {
      const te = `${H}Transfer-Encoding: chunked\r\n\r\n`
      await allRefused(
        env(),
        'A15',
        [`${te}1;${'a'.repeat(200_000)}\r\nx\r\n0\r\n\r\n`],
        [400, 413],
        true,
      )
    })

    test('A16 request trailers are never copied upstream', async () => {
      const e = env()
      const mark = e.rec.mark()
      const res = await raw(
        e.port,
        `${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX:POST /smuggled HTTP/1.1\r\n\r\n`,
        { responses: 1 },
      )
      assert.ok(res.statuses[0] === 200 || res.statuses[0] === 400, res.text)
      for (const r of e.rec.since(mark).requests) {
        assert.ok(!r.head.includes('smuggled'), 'trailer reached the upstream head')
        assert.notEqual(r.target, '/smuggled')
      }
      assert.ok(!e.rec.requests.some((r) => r.target === '/smuggled'))
      await canary(e)
      tally('A16')
    })

    test('A17 bare LF, bare CR, NUL and \\r\\n\\rX → 400 + close', async () => {
      await allRefused(env(), 'A17', [
        'GET / HTTP/1.1\nHost: a\n\n',
        'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: a\r\n\r\rZGET /evil HTTP/1.1\r\n\r\n',
      ])
    })

    test('A18 obs-fold → 400', async () => {
      await allRefused(env(), 'A18', ['GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n'])
    })

    test('A19 bad header names → 400', async () => {
      await allRefused(env(), 'A19', [
        'GET / HTTP/1.1\r\nHost: a\r\nHo(st: x\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n',
        'GET / HTTP/1.1\r\nHost: a\r\nX\x85: y\r\n\r\n',
        ' GET / HTTP/1.1\r\nHost: a\r\n\r\n',
      ])
    })

    test('A20 pipelining: in-order answers, N well-framed upstream requests, floods cut off', async () => {
      const e = env()
      const n = 50
      const mark = e.rec.mark()
      const batch = Array.from(
        { length: n },
        (_, i) => `GET /p${i} HTTP/1.1\r\nHost: a\r\n\r\n`,
      ).join('')
      const res = await raw(e.port, batch, { responses: n, timeoutMs: 20_000 })
      assert.equal(res.statuses.length, n)
      res.responses.forEach((r, i) => assert.equal(r.body.toString(), `recorder GET /p${i}`))
      const seen = e.rec.since(mark).requests
      assert.equal(seen.length, n)
      seen.forEach((r, i) => assert.equal(r.target, `/p${i}`))
      // A client that pipelines thousands of requests and never reads: the requests are not
      // turned into concurrent upstream requests, the connection is cut, memory stays flat.
      const before = rssMb(e.proxy.pid)
      const floodMark = e.rec.mark()
      const flood = Array.from({ length: 20_000 }, () => 'GET /flood HTTP/1.1\r\nHost: a\r\n\r\n')
      const socket = await openSocket(e.port)
      socket.pause()
      const out = await rawOn(socket, flood.join(''), { timeoutMs: 10_000 })
      socket.destroy()
      assert.ok(out.closed, 'the flooding connection was not closed')
      const forwarded = await settledCount(() => e.rec.since(floodMark).requests.length)
      assert.ok(forwarded <= MAX_PIPELINED + 1, `${forwarded} flood requests reached the upstream`)
      assert.ok(rssMb(e.proxy.pid) - before < 50, 'memory grew with the pipelined flood')
      await canary(e)
      tally('A20', 2)
    })

    test('A21 body after a local response is drained or the connection closed', async () => {
      const e = env()
      const smuggle = 'GET /admin HTTP/1.1\r\nHost: a\r\n\r\n'
      const routes: Array<[string, string, number[]]> = [
        ['/mock', 'a', [200]],
        ['/redirect', 'a', [307]],
        ['/auth', 'a', [401]],
        ['/limited', 'a', [429]],
        ['/', 'nowhere.test', [404]],
        ['/upload', 'a', [413]],
      ]
      for (const [path, host, status] of routes) {
        const mark = e.rec.mark()
        const length = path === '/upload' ? 70_000 : smuggle.length
        const body = path === '/upload' ? smuggle + 'x'.repeat(length - smuggle.length) : smuggle
        const payload = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${length}\r\n\r\n${body}`
        await expectOneThenCanary(e, payload, status, `A21 ${path}`)
        assert.equal(e.rec.unexpected(mark).length, 0, `A21 ${path}: /admin reached the upstream`)
      }
      await canary(e)
      tally('A21', routes.length)
    })

    test('A22 bytes after an Upgrade answered 200 are never tunnelled', async () => {
      const e = env()
      const mark = e.rec.mark()
      const payload =
        'GET /ws HTTP/1.1\r\nHost: wsplain.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n' +
        'GET /admin HTTP/1.1\r\nHost: g.test\r\n\r\n'
      const res = await raw(e.port, payload, { timeoutMs: 4_000 })
      assert.ok(res.statuses.length >= 1, res.text)
      assert.notEqual(res.statuses[0], 101)
      // The trailing request is parsed as HTTP (then the deny rule answers 403) or dropped.
      if (res.statuses.length > 1) assert.equal(res.statuses[1], 403)
      assert.ok(!e.rec.since(mark).requests.some((r) => r.target === '/admin'), 'smuggled /admin')
      await canary(e)
      tally('A22')
    })

    test('A23 truncated body then FIN: never completed upstream, aborted once started', async () => {
      const e = env()
      // Short: the upstream is not contacted before HOLD_BYTES arrive, so nothing reaches it.
      const short = e.rec.mark()
      const small = await raw(
        e.port,
        'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello',
        { end: true, timeoutMs: 5_000 },
      )
      assert.ok(small.closed)
      assert.ok(
        small.statuses.every((s) => s === 400),
        small.text,
      )
      await canary(e)
      assert.equal(e.rec.since(short).bytes, 0, 'a truncated small body reached the upstream')
      // Long: the upload started upstream and must be cut off, never completed.
      const mark = e.rec.mark()
      const abandoned = e.rec.abandoned.length
      const head = `POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${2 * HOLD_BYTES}\r\n\r\n`
      const big = await raw(e.port, [head, 'x'.repeat(HOLD_BYTES + 100)], {
        end: true,
        timeoutMs: 5_000,
      })
      assert.ok(big.closed)
      await eventually(() =>
        assert.ok(e.rec.abandoned.slice(abandoned).some((l) => l.startsWith('POST /upload'))),
      )
      assert.equal(e.rec.unexpected(mark).length, 0, 'the short request was completed upstream')
      await canary(e)
      tally('A23', 2)
    })

    test('A24 GET with a body is forwarded with its framing', async () => {
      const e = env()
      const mark = e.rec.mark()
      const res = await raw(
        e.port,
        'GET /gb HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello',
        {
          responses: 1,
        },
      )
      assert.equal(res.statuses[0], 200)
      const [sent] = e.rec.since(mark).requests
      assert.equal(sent?.body.toString(), 'hello')
      assert.equal(e.rec.header(sent, 'content-length'), '5')
      await canary(e)
      tally('A24')
    })
  })
}
