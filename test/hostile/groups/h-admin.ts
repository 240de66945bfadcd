/** Group H, admin rows (H9, H10, H11, H12, H13, H14, H15): a second proxy with `--admin`. */
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { tables } from '../../helpers/spec.ts'
import { NEVER_DOWN, type HostileEnv } from '../helpers/env.ts'
import { unusedPort } from '../helpers/fixtures.ts'
import { spawnProxy, type ProxyProcess } from '../helpers/proxy.ts'
import { raw, type RawResult } from '../helpers/raw.ts'
import { tally } from '../helpers/tally.ts'

const GOOD = `Basic ${Buffer.from('admin:s3cret-pass').toString('base64')}`
const BAD = `Basic ${Buffer.from('admin:wrong').toString('base64')}`

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer = '',
): Promise<RawResult> {
  const host = headers['Host'] === undefined ? `Host: 127.0.0.1:${port}\r\n` : ''
  const head =
    `${method} ${path} HTTP/1.1\r\n${host}Connection: close\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    (body.length > 0 ? `Content-Length: ${body.length}\r\n` : '') +
    '\r\n'
  return raw(port, [head, body], { timeoutMs: 10_000 })
}

export function groupHAdmin(env: () => HostileEnv): void {
  describe('H. the admin API (a second proxy with --admin)', () => {
    let proxy: ProxyProcess
    let admin = 0
    let data = 0
    before(async () => {
      admin = await unusedPort()
      proxy = await spawnProxy(
        {
          'servers.toml': tables('servers', { web: { addr: '127.0.0.1:0', locations: ['x'] } }),
          'locations.toml': tables('locations', {
            x: { host: 'x.test', upstream: 'u', plugins: ['auth'] },
          }),
          'upstreams.toml': tables('upstreams', {
            u: { addrs: [env().rec.addr], health_check: NEVER_DOWN },
          }),
          'plugins.toml':
            '[plugins.auth]\ncategory = "basic_auth"\nauthorizations = ["YWRtaW46c2VjcmV0"]\n',
        },
        {
          args: ['--autoreload', '--admin', `admin:s3cret-pass@127.0.0.1:${admin}?ip_fail_limit=5`],
          waitFor: ['web'],
        },
      )
      data = proxy.ports.get('web') ?? 0
      await eventually(async () => {
        const res = await call(admin, 'GET', '/api/v1/config', {})
        assert.ok(res.statuses.length > 0)
      })
    })
    after(async () => {
      await proxy?.stop()
    })

    test('H15 secrets are redacted in the API', async () => {
      const res = await call(admin, 'GET', '/api/v1/config', { Authorization: GOOD })
      assert.equal(res.statuses[0], 200, res.text.slice(0, 300))
      assert.ok(!res.text.includes('YWRtaW46c2VjcmV0'), 'a basic_auth credential was returned')
      assert.match(res.text, /redacted/)
      tally('H15')
    })

    test('H14 the data plane never routes to the admin API', async () => {
      const res = await raw(data, 'GET /api/v1/config HTTP/1.1\r\nHost: x.test\r\n\r\n', {
        responses: 1,
      })
      assert.ok([401, 404].includes(res.statuses[0] ?? 0), `data plane answered ${res.statuses[0]}`)
      assert.ok(!res.text.includes('"servers"'))
      tally('H14')
    })

    test('H10 DNS rebinding and cross-site writes are refused; the config is unchanged', async () => {
      const before = await call(admin, 'GET', '/api/v1/config', { Authorization: GOOD })
      const rebound = await call(admin, 'GET', '/api/v1/config', {
        Authorization: GOOD,
        Host: 'evil.example',
      })
      assert.ok(
        [400, 403, 421].includes(rebound.statuses[0] ?? 0),
        `Host evil: ${rebound.statuses[0]}`,
      )
      const csrf = await call(
        admin,
        'PUT',
        '/api/v1/config/upstreams/u',
        { Authorization: GOOD, Origin: 'http://evil.example', 'Content-Type': 'text/plain' },
        '{"addrs":["127.0.0.1:9"]}',
      )
      assert.ok([403, 415].includes(csrf.statuses[0] ?? 0), `cross-site write: ${csrf.statuses[0]}`)
      const after = await call(admin, 'GET', '/api/v1/config', { Authorization: GOOD })
      assert.equal(after.responses[0]?.headers['etag'], before.responses[0]?.headers['etag'])
      tally('H10', 2)
    })

    test('H11 traversal in item names through the API', async () => {
      const parent = dirname(proxy.dir)
      const listing = readdirSync(parent).sort()
      for (const name of ['..%2F..%2Fetc%2Fpasswd', '..%5Cx', `${'a'.repeat(300)}`, 'x%00y']) {
        const res = await call(
          admin,
          'PUT',
          `/api/v1/config/upstreams/${name}`,
          { Authorization: GOOD, 'Content-Type': 'application/json', 'If-Match': '*' },
          `{"addrs":["127.0.0.1:9"]}`,
        )
        assert.ok(
          (res.statuses[0] ?? 0) >= 400,
          `${name.slice(0, 40)} accepted: ${res.statuses[0]}`,
        )
      }
      assert.deepEqual(
        readdirSync(parent).sort(),
        listing,
        'a file appeared outside the config dir',
      )
      tally('H11', 4)
    })

    test('H12 hostile admin bodies: 10 MB and 100k-deep JSON', async () => {
      // 10 MB: refused with 413 once the 4 MiB limit is passed; the close that follows may
      // reset the connection before the client reads the answer, which is fine too.
      const big = await call(
        admin,
        'POST',
        '/api/v1/config/validate',
        { Authorization: GOOD, 'Content-Type': 'application/json' },
        Buffer.alloc(10 * 1024 * 1024, 0x20),
      )
      assert.ok(
        big.statuses[0] === 413 || (big.statuses.length === 0 && big.closed),
        big.text.slice(0, 200),
      )
      const deep = await call(
        admin,
        'POST',
        '/api/v1/config/validate',
        { Authorization: GOOD, 'Content-Type': 'application/json' },
        `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      )
      assert.ok([400, 413, 422].includes(deep.statuses[0] ?? 0), `deep JSON: ${deep.statuses[0]}`)
      assert.ok(proxy.alive(), 'the proxy died on a hostile admin body')
      const after = await call(admin, 'GET', '/api/v1/config', { Authorization: GOOD })
      assert.equal(after.statuses[0], 200)
      tally('H12', 2)
    })

    test('H13 the admin UI is served with a Content-Security-Policy', async () => {
      const res = await call(admin, 'GET', '/', { Authorization: GOOD })
      const csp = res.responses.at(-1)?.headers['content-security-policy']
      assert.ok(csp !== undefined && csp.includes('default-src'), `CSP: ${csp}`)
      tally('H13')
    })

    test('H9 admin auth: 401 without or with wrong credentials, lock-out after repeated failures', async () => {
      const none = await call(admin, 'GET', '/api/v1/config', {})
      assert.equal(none.statuses[0], 401)
      let locked = false
      for (let i = 0; i < 8 && !locked; i++) {
        const res = await call(admin, 'GET', '/api/v1/config', { Authorization: BAD })
        assert.ok([401, 403, 429].includes(res.statuses[0] ?? 0))
        locked = res.statuses[0] !== 401
      }
      const good = await call(admin, 'GET', '/api/v1/config', { Authorization: GOOD })
      assert.ok(
        locked || [403, 429].includes(good.statuses[0] ?? 0),
        'no lock-out after 8 failures',
      )
      tally('H9', 9)
    })
  })
}
