/** Group I of the catalogue: the cache, compression, rate limit and auth plugins under attack. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { expectOneThenCanary } from '../helpers/checks.ts'
import { tables } from '../../helpers/spec.ts'
import { startUpstream } from '../../helpers/upstreams.ts'
import { canary, type HostileEnv } from '../helpers/env.ts'
import { spawnProxy } from '../helpers/proxy.ts'
import { raw } from '../helpers/raw.ts'
import { tally } from '../helpers/tally.ts'

function get(path: string, host: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`
}

/** Requests for `path` the recorder received since `from`. */
function fetched(e: HostileEnv, from: number, path: string): number {
  return e.rec.requests.slice(from).filter((r) => r.target === path).length
}

export function groupI(env: () => HostileEnv): void {
  describe('I. plugins: cache, compression, rate limit, auth', () => {
    test('I1 the cache key separates hosts', async () => {
      const e = env()
      const from = e.rec.requests.length
      for (const host of ['cache.test', 'cache2.test', 'cache.test']) {
        const res = await raw(e.port, get('/i1', host), { responses: 1 })
        assert.equal(res.statuses[0], 200)
      }
      assert.equal(fetched(e, from, '/i1'), 2, 'one host was served the other host entry')
      await canary(e)
      tally('I1', 3)
    })

    test('I2 a cache hit with a request body: one response, the body never read as a request', async () => {
      const e = env()
      await raw(e.port, get('/i2', 'cache.test'), { responses: 1 })
      const mark = e.rec.mark()
      const smuggle = 'GET /admin HTTP/1.1\r\nHost: g.test\r\n\r\n'
      await expectOneThenCanary(
        e,
        `GET /i2 HTTP/1.1\r\nHost: cache.test\r\nContent-Length: ${smuggle.length}\r\n\r\n${smuggle}`,
        [200],
        'I2',
      )
      assert.ok(!e.rec.since(mark).requests.some((r) => r.target === '/admin'))
      tally('I2')
    })

    // Catalogue I3: a backend that builds its answer from X-Forwarded-Host (absolute links,
    // redirects) behind a cache. A client that is not a trusted proxy cannot choose that value,
    // so the cached answer is the same for everyone.
    test('I3 unkeyed forwarding headers from a client never reach a cached answer', async () => {
      const e = env()
      const reflecting = await startUpstream((req, res) => {
        req.resume()
        res.setHeader('cache-control', 'max-age=60')
        const seen = ['x-forwarded-host', 'x-forwarded-proto', 'forwarded', 'x-real-ip']
          .map((h) => `${h}=${String(req.headers[h] ?? '')}`)
          .join(' ')
        res.end(`page for ${seen}`)
      }, 'reflecting')
      const proxy = await spawnProxy(
        {
          'servers.toml': tables('servers', { web: { addr: '127.0.0.1:0', locations: ['c'] } }),
          'locations.toml': tables('locations', {
            c: { upstream: 'reflecting', plugins: ['pageCache'] },
          }),
          'upstreams.toml': tables('upstreams', { reflecting: { addrs: [reflecting.addr] } }),
          'plugins.toml': tables('plugins', {
            pageCache: { category: 'cache', namespace: 'i3' },
          }),
        },
        { waitFor: ['web'] },
      )
      try {
        const port = proxy.ports.get('web') ?? 0
        const attack = await raw(
          port,
          get(
            '/i3',
            'shop.test',
            'X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\n' +
              'Forwarded: host=evil.example;proto=https\r\nX-Real-IP: 10.6.6.6\r\n',
          ),
          { responses: 1 },
        )
        const victim = await raw(port, get('/i3', 'shop.test'), { responses: 1 })
        const clean = 'page for x-forwarded-host= x-forwarded-proto= forwarded= x-real-ip='
        assert.equal(attack.responses[0]?.body.toString(), clean)
        assert.equal(victim.responses[0]?.body.toString(), clean)
        assert.equal(reflecting.seen.length, 1, 'the second request was not a cache hit')
      } finally {
        await proxy.stop()
        await reflecting.close()
      }
      await canary(e)
      tally('I3', 4)
    })

    test('I4 requests with Authorization are not served from the cache', async () => {
      const e = env()
      const from = e.rec.requests.length
      for (let i = 0; i < 2; i++) {
        await raw(e.port, get('/i4', 'cache.test', 'Authorization: Basic dTpw\r\n'), {
          responses: 1,
        })
      }
      assert.equal(fetched(e, from, '/i4'), 2, 'an authorised response was served from the cache')
      await canary(e)
      tally('I4')
    })

    test('I5 a stampede of misses on one key fetches once (lock)', async () => {
      const e = env()
      const from = e.rec.requests.length
      const results = await Promise.all(
        Array.from({ length: 100 }, () => raw(e.port, get('/i5', 'cache.test'), { responses: 1 })),
      )
      assert.ok(results.every((r) => r.statuses[0] === 200))
      assert.ok(
        fetched(e, from, '/i5') <= 5,
        `${fetched(e, from, '/i5')} upstream fetches for one key`,
      )
      await canary(e)
      tally('I5', 100)
    })

    test('I6 compression: q=0 respected, HEAD without a body, Vary added', async () => {
      const e = env()
      const gz = await raw(e.port, get('/i6', 'gz.test', 'Accept-Encoding: gzip\r\n'), {
        responses: 1,
      })
      const headers = gz.responses[0]?.headers ?? {}
      if (headers['content-encoding'] === 'gzip')
        assert.match(headers['vary'] ?? '', /accept-encoding/i)
      const refused = await raw(e.port, get('/i6', 'gz.test', 'Accept-Encoding: gzip;q=0\r\n'), {
        responses: 1,
      })
      assert.notEqual(refused.responses[0]?.headers['content-encoding'], 'gzip', 'gzip;q=0 ignored')
      const head = await raw(
        e.port,
        'HEAD /i6 HTTP/1.1\r\nHost: gz.test\r\nAccept-Encoding: gzip\r\n\r\n',
        {
          responses: 1,
          methods: ['HEAD'],
        },
      )
      assert.equal(head.statuses[0], 200)
      assert.equal(head.responses[0]?.body.length, 0)
      await canary(e)
      tally('I6', 3)
    })

    test('I7 the rate limiter counts the socket peer, whatever X-Forwarded-For says', async () => {
      const e = env()
      let limited = 0
      for (let i = 0; i < 40; i++) {
        const res = await raw(
          e.port,
          get('/i7', 'rate.test', `X-Forwarded-For: 10.1.${i >> 8}.${i & 255}\r\n`),
          {
            responses: 1,
          },
        )
        if (res.statuses[0] === 429) {
          limited++
          assert.ok(
            res.responses[0]?.headers['retry-after'] !== undefined,
            'a 429 without Retry-After',
          )
        }
      }
      assert.ok(limited > 0, 'distinct spoofed X-Forwarded-For values escaped the limit')
      await canary(e)
      tally('I7', 40)
    })

    test('I8 auth cannot be bypassed by path spelling, method tricks or malformed credentials', async () => {
      const e = env()
      const mark = e.rec.mark()
      const paths = [
        '/private',
        '//private',
        '/%70rivate',
        '/x/../private',
        '/./private/',
        '/private%2f',
      ]
      for (const path of paths) {
        const res = await raw(e.port, get(path, 'auth.test'), { responses: 1 })
        assert.equal(res.statuses[0], 401, `${path}: ${res.statuses[0]}`)
      }
      const tricks = [
        'HEAD /private HTTP/1.1\r\nHost: auth.test\r\n\r\n',
        get('/private', 'auth.test', 'X-HTTP-Method-Override: DELETE\r\n'),
        get('/private', 'auth.test', 'Authorization: Basic !!!\r\n'),
        get('/private', 'auth.test', 'Authorization: Basic\r\n'),
        get('/private', 'auth.test', 'Authorization: Bearer x\r\n'),
      ]
      for (const t of tricks) {
        const res = await raw(e.port, t, { responses: 1, methods: [t.split(' ')[0] ?? 'GET'] })
        assert.equal(res.statuses[0], 401, `${t.split('\r\n')[0]}: ${res.statuses[0]}`)
      }
      assert.ok(
        !e.rec.since(mark).requests.some((r) => r.target.includes('private')),
        'auth was bypassed',
      )
      await canary(e)
      tally('I8', paths.length + tricks.length)
    })
  })
}
