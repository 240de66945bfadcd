/** Group E of the catalogue: upstream faults. The client gets a correct status or a visibly
 * truncated response, the proxy stays up, and the pool recovers. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { tables } from '../../helpers/spec.ts'
import { startUpstream } from '../../helpers/upstreams.ts'
import { startWebhookReceiver } from '../../helpers/webhook.ts'
import { canary, type HostileEnv } from '../helpers/env.ts'
import { fdCount, spawnProxy } from '../helpers/proxy.ts'
import { openSocket, raw, rawOn, type RawResult } from '../helpers/raw.ts'
import { skipRow, tally } from '../helpers/tally.ts'

function get(path: string, host = 'evil.test'): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`
}

/** After a fault, the same upstream must serve a clean request (the pool recovered). */
async function poolRecovers(e: HostileEnv): Promise<void> {
  const res = await raw(e.port, get('/ok'), { responses: 1 })
  assert.equal(res.statuses[0], 200, `pool did not recover: ${res.text.slice(0, 200)}`)
  assert.equal(res.responses[0]?.body.toString(), 'ok')
  await canary(e)
}

/** The response started but must not look complete: truncated, then closed. */
function assertTruncated(res: RawResult, label: string): void {
  assert.equal(res.statuses[0], 200, `${label}: ${res.text.slice(0, 200)}`)
  assert.ok(res.closed, `${label}: connection left open`)
  assert.equal(res.responses[0]?.complete, false, `${label}: a truncated body looked complete`)
}

export function groupE(env: () => HostileEnv): void {
  describe('E. upstream faults', () => {
    test('E1 refused → fast 502', async () => {
      const e = env()
      const res = await raw(e.port, get('/', 'refused.test'), { responses: 1 })
      assert.equal(res.statuses[0], 502)
      assert.equal(res.responses[0]?.headers['x-pingap-etype'], 'ConnectRefused')
      assert.ok(res.elapsedMs < 2_000, `${res.elapsedMs} ms`)
      await canary(e)
      tally('E1')
    })

    test('E2 connect timeout → 504', async (t) => {
      const e = env()
      if (e.blackhole === undefined) {
        t.skip(skipRow('E2', e.blackholeSkip ?? 'no blackhole'))
        return
      }
      const res = await raw(e.port, get('/', 'blackhole.test'), { responses: 1, timeoutMs: 5_000 })
      assert.equal(res.statuses[0], 504, res.text.slice(0, 200))
      assert.equal(res.responses[0]?.headers['x-pingap-etype'], 'ConnectTimedout')
      await canary(e)
      tally('E2')
    })

    test('E3 hang → 504 at the read timeout; upstream socket destroyed; client keeps its connection', async () => {
      const e = env()
      const socket = await openSocket(e.port)
      try {
        const res = await rawOn(socket, get('/e/hang?e3'), { responses: 1, timeoutMs: 5_000 })
        assert.equal(res.statuses[0], 504)
        assert.equal(res.responses[0]?.headers['x-pingap-etype'], 'ReadTimedout')
        const next = await rawOn(socket, get('/ok'), { responses: 1 })
        assert.equal(next.statuses[0], 200, 'the keep-alive connection was not usable after a 504')
      } finally {
        socket.destroy()
      }
      const hung = e.evil.requests.find((r) => r.target === '/e/hang?e3')
      assert.ok(hung !== undefined)
      await eventually(() => assert.ok(!e.evil.isOpen(hung.connection), 'upstream socket kept'))
      await poolRecovers(e)
      tally('E3')
    })

    test('E4 headers then a stalled body → truncated response, close', async () => {
      const e = env()
      const res = await raw(e.port, get('/e/stall-body'), { timeoutMs: 6_000 })
      assertTruncated(res, 'E4')
      await poolRecovers(e)
      tally('E4')
    })

    test('E5 reset or FIN mid-response → truncated response, close', async () => {
      const e = env()
      for (const path of ['/e/midbody-rst', '/e/midbody-fin']) {
        assertTruncated(await raw(e.port, get(path), { timeoutMs: 5_000 }), path)
      }
      await poolRecovers(e)
      tally('E5', 2)
    })

    test('E6 chunked stream without terminator or with a bad chunk → truncated, close', async () => {
      const e = env()
      for (const path of ['/e/chunk-noterm', '/e/chunk-bad']) {
        assertTruncated(await raw(e.port, get(path), { timeoutMs: 5_000 }), path)
      }
      await poolRecovers(e)
      tally('E6', 2)
    })

    test('E7 invalid responses → 502', async () => {
      const e = env()
      const paths = [
        'garbage',
        'icy',
        'clte',
        'two-cl',
        'obsfold',
        'nul',
        's2000',
        's099',
        'big-header',
      ]
      for (const p of paths) {
        const res = await raw(e.port, get(`/e/${p}`), { responses: 1, timeoutMs: 5_000 })
        assert.equal(res.statuses[0], 502, `${p}: ${res.text.slice(0, 200)}`)
        assert.equal(res.responses[0]?.headers['cache-control'], 'private, no-store')
      }
      await poolRecovers(e)
      tally('E7', paths.length)
    })

    test('E8 101 to a plain request → 502, nothing tunnelled', async () => {
      const e = env()
      const res = await raw(e.port, get('/e/s101'), { responses: 1, timeoutMs: 5_000 })
      assert.equal(res.statuses[0], 502)
      assert.ok(!res.text.includes('101 Switching'), 'the 101 reached the client')
      await poolRecovers(e)
      tally('E8')
    })

    test('E9 keep-alive race: a pooled connection closed on reuse is retried, no 502', async () => {
      const e = env()
      const first = await raw(e.port, get('/e/race', 'race.test'), { responses: 1 })
      assert.equal(first.statuses[0], 200)
      const before = e.race.connections()
      const second = await raw(e.port, get('/e/race', 'race.test'), { responses: 1 })
      assert.equal(second.statuses[0], 200, `the race surfaced: ${second.text.slice(0, 200)}`)
      assert.equal(second.responses[0]?.body.toString(), 'race')
      assert.ok(e.race.connections() > before, 'the retry did not use a fresh connection')
      await canary(e)
      tally('E9')
    })

    test('E10 early 413 during an upload: forwarded, upload stopped, connection closed', async () => {
      const e = env()
      const socket = await openSocket(e.port)
      try {
        const head =
          'POST /e/early-413 HTTP/1.1\r\nHost: evil.test\r\nContent-Length: 10485760\r\n\r\n'
        const parts = [head, ...Array.from({ length: 16 }, () => Buffer.alloc(64 * 1024, 0x62))]
        const res = await rawOn(socket, parts, { timeoutMs: 8_000 })
        assert.equal(res.statuses[0], 413, res.text.slice(0, 200))
        assert.ok(res.closed, 'connection left open with an unread body')
      } finally {
        socket.destroy()
      }
      await poolRecovers(e)
      tally('E10')
    })

    test('E11 extra bytes after the body do not poison the next response', async () => {
      const e = env()
      const res = await raw(e.port, get('/e/extra'), { responses: 1 })
      assert.equal(res.responses[0]?.body.toString(), 'ok')
      for (let i = 0; i < 3; i++) {
        const next = await raw(e.port, get('/ok'), { responses: 1 })
        assert.equal(next.responses[0]?.body.toString(), 'ok', 'POISON reached a client')
      }
      await canary(e)
      tally('E11')
    })

    test('E12 1xx responses: 103 dropped before the 200, the final answer relayed', async () => {
      const e = env()
      const hints = await raw(e.port, get('/e/103'), { responses: 1 })
      assert.equal(hints.statuses.at(-1), 200)
      assert.equal(hints.responses.at(-1)?.body.toString(), 'ok')
      await poolRecovers(e)
      tally('E12')
    })

    // nginx and Caddy skip an interim answer the client did not ask for and relay the final
    // one; so does the proxy's HTTP/1.1 upstream client (undici answered 502 to a 100).
    for (const status of ['100', '102']) {
      test(`E12 an unsolicited ${status} before the 200: final answer relayed, never 502`, async () => {
        const e = env()
        try {
          const res = await raw(e.port, get(`/e/${status}`), { responses: 1 })
          const final = res.responses.find((r) => r.status >= 200)
          assert.equal(final?.status, 200, `got ${res.text.slice(0, 200)}`)
          assert.equal(final.body.toString(), 'ok')
          // Relaying the 1xx is allowed (RFC 9110 §15.2); a 100 only if the client asked.
          if (status === '100') assert.ok(!res.text.includes(' 100 Continue'), 'unasked 100')
        } finally {
          await poolRecovers(e)
          tally('E12')
        }
      })
    }

    test('E13 all upstreams down → 503 at once, no connect attempt', async () => {
      const e = env()
      await eventually(async () => {
        const res = await raw(e.port, get('/', 'down.test'), { responses: 1 })
        assert.equal(res.statuses[0], 503)
        assert.ok(res.elapsedMs < 500)
      })
      await canary(e)
      tally('E13')
    })

    // Catalogue E14: with Pingap's defaults (failure = 2, success = 1) a health endpoint that
    // alternates 200/500 never fails twice in a row, so the backend never flips: no thrash, no
    // notification. Each answer takes longer than the check period: checks still never overlap.
    test('E14 health-check flapping: no flip, no notification, no overlapping checks', async () => {
      const e = env()
      let checks = 0
      let inflight = 0
      let maxInflight = 0
      const flapping = await startUpstream((req, res) => {
        req.resume()
        if (req.url !== '/health') return void res.end('served')
        const status = checks++ % 2 === 0 ? 200 : 500
        inflight++
        maxInflight = Math.max(maxInflight, inflight)
        setTimeout(() => {
          inflight--
          res.statusCode = status
          res.end()
        }, 150)
      }, 'flapping')
      const hook = await startWebhookReceiver()
      const proxy = await spawnProxy(
        {
          'basic.toml':
            `[basic]\nwebhook = "${hook.url}"\n` +
            'webhook_notifications = ["backend_status", "upstream_status"]\n',
          'servers.toml': tables('servers', {
            web: { addr: '127.0.0.1:0', locations: ['flap'] },
          }),
          'locations.toml': tables('locations', { flap: { upstream: 'flapping' } }),
          'upstreams.toml': tables('upstreams', {
            flapping: {
              addrs: [flapping.addr],
              health_check: 'http://flap.test/health?check_frequency=100ms',
            },
          }),
        },
        { waitFor: ['web'] },
      )
      try {
        const port = proxy.ports.get('web') ?? 0
        const statuses: number[] = []
        await eventually(
          async () => {
            const res = await raw(port, get('/x', 'flap.test'), { responses: 1 })
            statuses.push(res.statuses[0] ?? 0)
            assert.ok(checks >= 20, `${checks} checks so far`)
          },
          20_000,
          100,
        )
        assert.ok(
          statuses.every((s) => s === 200),
          `requests refused: ${statuses.join(',')}`,
        )
        const flips = proxy.logs.filter((l) => /^backend became/.test(String(l['msg'])))
        assert.deepEqual(flips, [], 'the backend flipped')
        assert.deepEqual(hook.received, [], 'notifications were sent')
        assert.equal(maxInflight, 1, 'health checks overlapped')
      } finally {
        await proxy.stop()
        await hook.close()
        await flapping.close()
      }
      await canary(e)
      tally('E14', 3)
    })

    test('E15 hung health endpoint: checks time out without piling up', async () => {
      const e = env()
      const first = fdCount(e.proxy.pid)
      // Twenty check periods pass; every check times out at 200 ms.
      const checksBefore = e.evil.requests.filter((r) => r.target === '/e/hang').length
      await eventually(() => {
        const checks = e.evil.requests.filter((r) => r.target === '/e/hang').length
        assert.ok(checks - checksBefore >= 10, `only ${checks - checksBefore} checks so far`)
      }, 15_000)
      assert.ok(fdCount(e.proxy.pid) <= first + 5, 'health checks piled up connections')
      assert.ok(e.evil.open() < 10, `${e.evil.open()} open connections at the hung endpoint`)
      await canary(e)
      tally('E15')
    })

    test('E16 upstream host name that does not resolve → 502', async () => {
      const e = env()
      const res = await raw(e.port, get('/', 'nxdomain.test'), { responses: 1, timeoutMs: 10_000 })
      assert.ok(res.statuses[0] === 502 || res.statuses[0] === 503, res.text.slice(0, 200))
      await canary(e)
      tally('E16')
    })

    test('E17 close-delimited upstream response is re-framed for the client', async () => {
      const e = env()
      const socket = await openSocket(e.port)
      try {
        const res = await rawOn(socket, get('/e/close-delimited'), {
          responses: 1,
          timeoutMs: 5_000,
        })
        assert.equal(res.statuses[0], 200)
        assert.equal(res.responses[0]?.body.toString(), 'until-close')
        assert.equal(res.responses[0]?.complete, true)
      } finally {
        socket.destroy()
      }
      await poolRecovers(e)
      tally('E17')
    })
  })
}
