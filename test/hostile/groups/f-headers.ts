/** Group F of the catalogue: header semantics, client IP and rewrites. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { tables } from '../../helpers/spec.ts'
import { startUpstream } from '../../helpers/upstreams.ts'
import { canary, NEVER_DOWN, type HostileEnv } from '../helpers/env.ts'
import { spawnProxy } from '../helpers/proxy.ts'
import { openSocket, raw, rawOn, type RawResult } from '../helpers/raw.ts'
import type { RecordedRequest } from '../helpers/recorder.ts'
import { tally } from '../helpers/tally.ts'

/** Sends one request and returns what the recorder received for it. */
async function forwarded(e: HostileEnv, payload: string): Promise<RecordedRequest> {
  const mark = e.rec.mark()
  const res = await raw(e.port, payload, { responses: 1 })
  assert.equal(res.statuses[0], 200, res.text.slice(0, 200))
  const [sent] = e.rec.since(mark).requests
  assert.ok(sent !== undefined, 'nothing reached the upstream')
  return sent
}

function names(r: RecordedRequest): string[] {
  return r.rawHeaders.map(([k]) => k.toLowerCase())
}

export function groupF(env: () => HostileEnv): void {
  describe('F. header semantics and client IP', () => {
    test('F1 hop-by-hop headers never cross the proxy, in either direction', async () => {
      const e = env()
      const sent = await forwarded(
        e,
        'GET /f1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\n' +
          'Keep-Alive: timeout=5\r\nProxy-Connection: x\r\nTE: trailers, gzip\r\nTrailer: X\r\n' +
          'Upgrade: h2c\r\nX-Kept: 1\r\n\r\n',
      )
      const got = names(sent)
      for (const h of ['x-foo', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']) {
        assert.ok(!got.includes(h), `${h} reached the upstream`)
      }
      assert.ok(got.includes('x-kept'))
      const res = await raw(e.port, 'GET /e/hop HTTP/1.1\r\nHost: evil.test\r\n\r\n', {
        responses: 1,
      })
      const headers = res.responses[0]?.headers ?? {}
      for (const h of ['x-bar', 'proxy-connection', 'upgrade', 'trailer']) {
        assert.equal(headers[h], undefined, `${h} reached the client`)
      }
      // The proxy's own Keep-Alive may be there; the upstream's never is.
      assert.notEqual(
        headers['keep-alive'],
        'timeout=5',
        "the upstream's Keep-Alive reached the client",
      )
      assert.equal(headers['x-kept'], 'yes')
      await canary(e)
      tally('F1', 12)
    })

    test('F2 headers named in Connection are stripped before the proxy adds its own', async () => {
      const e = env()
      const sent = await forwarded(
        e,
        'GET /f2 HTTP/1.1\r\nHost: xff.test\r\nConnection: close, X-Forwarded-For, X-Real-IP, ' +
          'Authorization, Host, Cookie\r\nX-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n' +
          'Authorization: Basic eDp5\r\nCookie: a=1\r\n\r\n',
      )
      assert.equal(e.rec.header(sent, 'x-forwarded-for'), '127.0.0.1')
      assert.equal(e.rec.header(sent, 'x-real-ip'), '127.0.0.1')
      // Nominating framing, routing or credential headers is ignored.
      assert.equal(e.rec.header(sent, 'host'), 'xff.test')
      assert.equal(e.rec.header(sent, 'authorization'), 'Basic eDp5')
      assert.equal(e.rec.header(sent, 'cookie'), 'a=1')
      await canary(e)
      tally('F2', 5)
    })

    test('F3 forwarding headers from an untrusted peer are not believed', async () => {
      const e = env()
      const sent = await forwarded(
        e,
        'GET /f3 HTTP/1.1\r\nHost: xff.test\r\nX-Forwarded-For: 1.2.3.4\r\nX-Real-IP: 1.2.3.4\r\n' +
          'Forwarded: for=1.2.3.4\r\nX-Forwarded-Host: evil\r\nX-Forwarded-Proto: https\r\n\r\n',
      )
      assert.match(e.rec.header(sent, 'x-forwarded-for') ?? '', /, 127\.0\.0\.1$/)
      assert.equal(e.rec.header(sent, 'x-real-ip'), '127.0.0.1')
      assert.equal(e.rec.header(sent, 'x-forwarded-host'), 'xff.test')
      assert.equal(e.rec.header(sent, 'x-forwarded-proto'), 'http')
      // Rate limits count the socket peer, whatever X-Forwarded-For says.
      let limited = false
      for (let i = 0; i < 40 && !limited; i++) {
        const res = await raw(
          e.port,
          `GET /f3 HTTP/1.1\r\nHost: rate.test\r\nX-Forwarded-For: 10.0.0.${i}\r\n\r\n`,
          { responses: 1 },
        )
        limited = res.statuses[0] === 429
      }
      assert.ok(limited, 'spoofed X-Forwarded-For values escaped the per-IP limit')
      await canary(e)
      tally('F3', 6)
    })

    // Catalogue F4: behind a trusted proxy that appends, the client is the rightmost address
    // that is not trusted (Envoy xff_num_trusted_hops, nginx real_ip_recursive), never an entry
    // the client could have written itself.
    test('F4 XFF chain from a trusted peer: the client is the rightmost untrusted address', async () => {
      const e = env()
      const proxy = await spawnProxy(
        {
          'basic.toml': '[basic]\ntrusted_proxies = ["127.0.0.1"]\n',
          'servers.toml': tables('servers', { web: { addr: '127.0.0.1:0', locations: ['x'] } }),
          'locations.toml': tables('locations', {
            x: { upstream: 'rec', plugins: ['denyClient'] },
          }),
          'plugins.toml': tables('plugins', {
            denyClient: { category: 'ip_restriction', type: 'deny', ip_list: ['203.0.113.9'] },
          }),
          'upstreams.toml': tables('upstreams', {
            rec: { addrs: [e.rec.addr], health_check: NEVER_DOWN },
          }),
        },
        { waitFor: ['web'] },
      )
      try {
        const port = proxy.ports.get('web') ?? 0
        const send = (xff: string): Promise<RawResult> =>
          raw(port, `GET /f4 HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: ${xff}\r\n\r\n`, {
            responses: 1,
          })
        // The trusted proxy's own view: the denied client, alone in the chain.
        assert.equal((await send('203.0.113.9')).statuses[0], 403)
        // The same client, having written a first entry itself.
        const spoofed = await send('6.6.6.6, 203.0.113.9')
        assert.equal(spoofed.statuses[0], 403, 'a denied client passed with a forged first entry')
      } finally {
        await proxy.stop()
        await canary(e)
        tally('F4', 2)
      }
    })

    test('F5 hostile X-Forwarded-For values are parsed without harm', async () => {
      const e = env()
      const values = [
        Array.from({ length: 700 }, (_, i) => `10.0.${i >> 8}.${i & 255}`).join(', '),
        '::1]:80',
        'unknown',
        ', , ,',
      ]
      for (const v of values)
        await forwarded(e, `GET /f5 HTTP/1.1\r\nHost: xff.test\r\nX-Forwarded-For: ${v}\r\n\r\n`)
      await forwarded(
        e,
        'GET /f5 HTTP/1.1\r\nHost: xff.test\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n',
      )
      await canary(e)
      tally('F5', values.length + 1)
    })

    test('F6 underscore aliases of sensitive headers are dropped', async () => {
      const e = env()
      const sent = await forwarded(
        e,
        'POST /f6 HTTP/1.1\r\nHost: xff.test\r\nContent-Length: 2\r\nX_Forwarded_For: 1.2.3.4\r\n' +
          'Content_Length: 5\r\nX_Real_IP: 1.2.3.4\r\nX_Custom: kept\r\n\r\nok',
      )
      const got = names(sent)
      for (const h of ['x_forwarded_for', 'content_length', 'x_real_ip']) {
        assert.ok(!got.includes(h), `${h} reached the upstream`)
      }
      assert.ok(got.includes('x_custom'), 'an ordinary underscore header was dropped')
      assert.equal(sent.body.toString(), 'ok')
      await canary(e)
      tally('F6', 3)
    })

    // Catalogue F7: forward_auth copies `add_headers` from the auth service's answer onto the
    // upstream request; a client that sends those headers itself must not get them through,
    // whether or not the auth service sets them.
    test('F7 spoofed identity headers: only the auth service sets them', async () => {
      const e = env()
      const auth = await startUpstream((req, res) => {
        req.resume()
        if (req.headers['authorization'] === 'Bearer alice') res.setHeader('x-user', 'alice')
        res.end('ok')
      }, 'auth')
      const proxy = await spawnProxy(
        {
          'servers.toml': tables('servers', { web: { addr: '127.0.0.1:0', locations: ['app'] } }),
          'locations.toml': tables('locations', {
            app: { upstream: 'rec', plugins: ['authService'] },
          }),
          'upstreams.toml': tables('upstreams', {
            rec: { addrs: [e.rec.addr], health_check: NEVER_DOWN },
          }),
          'plugins.toml': tables('plugins', {
            authService: {
              category: 'forward_auth',
              auth_url: `http://${auth.addr}/check`,
              add_headers: ['X-User'],
            },
          }),
        },
        { waitFor: ['web'] },
      )
      try {
        const port = proxy.ports.get('web') ?? 0
        const send = async (extra: string): Promise<string | undefined> => {
          const mark = e.rec.mark()
          const res = await raw(
            port,
            `GET /f7 HTTP/1.1\r\nHost: f7.test\r\nX-User: admin\r\n${extra}\r\n`,
            { responses: 1 },
          )
          assert.equal(res.statuses[0], 200, res.text.slice(0, 200))
          const sent = e.rec.since(mark).requests.find((r) => r.target === '/f7')
          assert.ok(sent !== undefined, 'nothing reached the upstream')
          const values = sent.rawHeaders.filter(([n]) => n.toLowerCase() === 'x-user')
          assert.ok(values.length <= 1, `several X-User headers: ${JSON.stringify(values)}`)
          return values[0]?.[1]
        }
        assert.equal(await send(''), undefined, "the client's X-User reached the upstream")
        assert.equal(await send('Authorization: Bearer alice\r\n'), 'alice')
      } finally {
        await proxy.stop()
        await auth.close()
      }
      await canary(e)
      tally('F7', 2)
    })

    test('F8 Expect: 100 only when the body is wanted; 417 for others; ignored in HTTP/1.0', async () => {
      const e = env()
      const socket = await openSocket(e.port)
      try {
        const interim = await rawOn(
          socket,
          'POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n',
          { until: (t) => t.includes('\r\n\r\n'), timeoutMs: 3_000 },
        )
        assert.equal(interim.statuses[0], 100, 'no 100 Continue for an acceptable upload')
        const final = await rawOn(socket, 'ok', { responses: 1 })
        assert.equal(final.statuses.at(-1), 200)
      } finally {
        socket.destroy()
      }
      const unknown = await raw(e.port, 'GET / HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n', {
        responses: 1,
      })
      assert.equal(unknown.statuses[0], 417)
      const old = await raw(
        e.port,
        'POST /upload HTTP/1.0\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok',
        { responses: 1 },
      )
      assert.deepEqual(old.statuses, [200], old.text.slice(0, 200))
      await canary(e)
      tally('F8', 3)
    })

    test('F9 CR/LF through a rewrite never reaches the upstream raw', async () => {
      const e = env()
      const mark = e.rec.mark()
      for (const path of ['/r/%0d%0aX-Injected:%201', '/r/a%0aX-Injected:%201', '/r/%00x']) {
        const res = await raw(e.port, `GET ${path} HTTP/1.1\r\nHost: rw.test\r\n\r\n`, {
          responses: 1,
        })
        assert.ok([200, 400, 500].includes(res.statuses[0] ?? 0), res.text.slice(0, 200))
      }
      for (const r of e.rec.since(mark).requests) {
        assert.ok(!/\r\nX-Injected/i.test(r.head), 'a header was injected upstream')
      }
      await canary(e)
      tally('F9', 3)
    })
  })
}
