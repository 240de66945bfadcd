/**
 * Spec §14 items 31–47, 49, 52 and 53 against the real binary: every request, auth, traffic and
 * header plugin of the catalogue, each on its own host, in front of real upstreams. (Item 48,
 * `sub_filter`, has its own test.) Where pingap-ts differs from Pingap on purpose, the test
 * asserts pingap-ts's behaviour and says why.
 */
import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { Agent } from 'node:http'
import { after, before, describe, test } from 'node:test'
import type { TestResponse } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { closeAll, get, tables, type TomlValue } from '../helpers/spec.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

type Table = Record<string, TomlValue | undefined>

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')

function hs256(claims: unknown, secret: string): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

function assertProxied(res: TestResponse, upstream = 'echo'): void {
  assert.equal(res.status, 200, `expected the upstream's answer, got ${res.status}: ${res.body}`)
  assert.match(res.body, new RegExp(`^${upstream} `))
}

function assertPlugin(res: TestResponse, status: number, body: string): void {
  assert.equal(res.status, status, res.body)
  assert.equal(res.body, body)
}

const PLUGINS: Record<string, Table> = {
  mock503: { category: 'mock', status: 503, headers: ['Retry-After: 600'], data: 'x' },
  redirect307: { category: 'redirect', http_to_https: true },
  redirect301: { category: 'redirect', http_to_https: true, status: 301 },
  redirectPrefix: { category: 'redirect', http_to_https: true, prefix: '/api' },
  basic: {
    category: 'basic_auth',
    authorizations: [Buffer.from('admin:123456').toString('base64')],
    hide_credentials: true,
  },
  keyAuth: { category: 'key_auth', query: 'key', keys: ['k1', 'k2'], hide_credentials: true },
  jwt: { category: 'jwt', header: 'Authorization', secret: 'jwt-secret', auth_path: '/login' },
  denyLocal: { category: 'ip_restriction', type: 'deny', ip_list: ['127.0.0.1'] },
  referer: { category: 'referer_restriction', type: 'allow', referer_list: ['*.example.com'] },
  noCurl: { category: 'ua_restriction', type: 'deny', ua_list: ['curl/'] },
  csrf: { category: 'csrf', token_path: '/csrf-token', key: 'csrf-key' },
  cors: { category: 'cors', allow_origin: '$http_origin' },
  rate: { category: 'limit', type: 'rate', max: 1, interval: '1s', weight: 100 },
  rateByHeader: {
    category: 'limit',
    type: 'rate',
    tag: 'header',
    key: 'X-User',
    max: 1,
    interval: '1s',
    weight: 100,
  },
  noInflight: { category: 'limit', type: 'inflight', max: 0 },
  headers46: {
    category: 'response_headers',
    add_headers: ['X-A: 1'],
    remove_headers: ['X-A'],
    rename_headers: ['X-B: X-C'],
  },
  addHeader: { category: 'response_headers', add_headers: ['X-Added: yes'] },
  mockPath: { category: 'mock', path: '/mocked', data: 'mocked' },
  splitAll: { category: 'traffic_splitting', upstream: 'alt', weight: 100 },
  splitNone: { category: 'traffic_splitting', upstream: 'alt', weight: 0 },
  splitSticky: {
    category: 'traffic_splitting',
    upstream: 'alt',
    weight: 50,
    stickiness: true,
    sticky_cookie: 'uid',
  },
}

// Arrays of tables are beyond the `tables` helper: written by hand.
const COMBINED_AUTH = `
[plugins.combined]
category = "combined_auth"

[[plugins.combined.authorizations]]
app_id = "pingap"
secret = "combined-secret"
deviation = 60
`

const LOCATIONS: Record<string, Table> = {
  p31: { host: 'p31.test', upstream: 'echo', plugins: ['pingap:ping'] },
  p32: { host: 'p32.test', upstream: 'echo', plugins: ['mock503'] },
  // Equal weights: list order decides, so the header-qualified ones come first.
  'p33-301': {
    host: 'ex.com',
    match_headers: ['x-case:301'],
    upstream: 'echo',
    plugins: ['redirect301'],
  },
  'p33-prefix': {
    host: 'ex.com',
    match_headers: ['x-case:prefix'],
    upstream: 'echo',
    plugins: ['redirectPrefix'],
  },
  p33: { host: 'ex.com', upstream: 'echo', plugins: ['redirect307'] },
  p34: { host: 'p34.test', upstream: 'echo', plugins: ['basic'] },
  p35: { host: 'p35.test', upstream: 'echo', plugins: ['keyAuth'] },
  p36: { host: 'p36.test', upstream: 'claims', plugins: ['jwt'] },
  p37: { host: 'p37.test', upstream: 'echo', plugins: ['combined'] },
  p38: { host: 'p38.test', upstream: 'echo', plugins: ['denyLocal'] },
  p39: { host: 'p39.test', upstream: 'echo', plugins: ['referer'] },
  p40: { host: 'p40.test', upstream: 'echo', plugins: ['noCurl'] },
  p41: { host: 'p41.test', upstream: 'echo', plugins: ['csrf'] },
  p42: { host: 'p42.test', upstream: 'echo', plugins: ['cors'] },
  p43: { host: 'p43.test', upstream: 'echo', plugins: ['rate'] },
  'p43-header': { host: 'p43h.test', upstream: 'echo', plugins: ['rateByHeader'] },
  p44: { host: 'p44.test', upstream: 'echo', plugins: ['noInflight'] },
  p45: { host: 'p45.test', upstream: 'echo', plugins: ['pingap:requestId'] },
  p46: { host: 'p46.test', upstream: 'hdrs', plugins: ['headers46'] },
  p47: {
    host: 'p47.test',
    upstream: 'echo',
    plugins: ['pingap:ping', 'mockPath', 'addHeader'],
  },
  p49: { host: 'p49.test', upstream: 'echo', plugins: ['pingap:acceptEncodingAdjustment'] },
  'p52-all': { host: 'p52a.test', upstream: 'echo', plugins: ['splitAll'] },
  'p52-none': { host: 'p52n.test', upstream: 'echo', plugins: ['splitNone'] },
  'p52-sticky': { host: 'p52s.test', upstream: 'echo', plugins: ['splitSticky'] },
  p53: { host: 'p53.test', upstream: 'echo', plugins: ['pingap:requestId'] },
}

describe('spec §14.31–47, 49, 52, 53: plugins', () => {
  let pingap: Pingap
  let web = ''
  let echo: TestUpstream
  let alt: TestUpstream
  let claims: TestUpstream
  let hdrs: TestUpstream

  before(async () => {
    echo = await startUpstream(undefined, 'echo')
    alt = await startUpstream(undefined, 'alt')
    claims = await startUpstream((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":1}')
    }, 'claims')
    hdrs = await startUpstream((req, res) => {
      req.resume()
      res.writeHead(200, { 'x-a': 'upstream', 'x-b': 'moved' }).end('hdrs ok')
    }, 'hdrs')
    pingap = await startPingap(
      {
        // One server: two servers on `127.0.0.1:0` share one listener today.
        'servers.toml': tables('servers', {
          web: {
            addr: '127.0.0.1:0',
            locations: Object.keys(LOCATIONS),
            enable_server_timing: true,
          },
        }),
        'locations.toml': tables('locations', LOCATIONS),
        'upstreams.toml': tables('upstreams', {
          echo: { addrs: [echo.addr] },
          alt: { addrs: [alt.addr] },
          claims: { addrs: [claims.addr] },
          hdrs: { addrs: [hdrs.addr] },
        }),
        'plugins.toml': tables('plugins', PLUGINS) + COMBINED_AUTH,
      },
      { waitFor: ['web'] },
    )
    web = pingap.servers.get('web') ?? ''
  })
  after(async () => {
    await pingap?.stop()
    await closeAll([echo, alt, claims, hdrs].filter((u) => u !== undefined))
  })

  test('31: pingap:ping answers pong with private, no-cache for any method; other paths proxy', async () => {
    for (const method of ['GET', 'POST', 'HEAD']) {
      const res = await get(web, 'p31.test', '/ping', { method })
      assert.equal(res.status, 200, method)
      assert.equal(res.body, method === 'HEAD' ? '' : 'pong')
      assert.equal(res.headers['cache-control'], 'private, no-cache')
    }
    assertProxied(await get(web, 'p31.test', '/other'))
  })

  test('32: mock answers every request with its status, headers and data; no upstream call', async () => {
    const before = echo.seen.length
    for (const path of ['/', '/a/b?c=1']) {
      const res = await get(web, 'p32.test', path, { method: path === '/' ? 'GET' : 'POST' })
      assertPlugin(res, 503, 'x')
      assert.equal(res.headers['retry-after'], '600')
    }
    assert.equal(echo.seen.length, before)
  })

  test('33: redirect to https: 307 by default, 301 when set, with the prefix when set', async () => {
    const plain = await get(web, 'ex.com:8080', '/a?b=1')
    assert.equal(plain.status, 307)
    assert.equal(plain.headers.location, 'https://ex.com/a?b=1')
    const moved = await get(web, 'ex.com:8080', '/a?b=1', { headers: { 'x-case': '301' } })
    assert.equal(moved.status, 301)
    assert.equal(moved.headers.location, 'https://ex.com/a?b=1')
    const prefixed = await get(web, 'ex.com:8080', '/a?b=1', { headers: { 'x-case': 'prefix' } })
    assert.equal(prefixed.status, 307)
    assert.equal(prefixed.headers.location, 'https://ex.com/api/a?b=1')
  })

  test('34: basic_auth: missing, wrong, right (credentials hidden from the upstream)', async () => {
    const realm = 'Basic realm="Access to the staging site"'
    const missing = await get(web, 'p34.test', '/')
    assertPlugin(missing, 401, 'Authorization is missing')
    assert.equal(missing.headers['www-authenticate'], realm)
    const wrong = await get(web, 'p34.test', '/', {
      headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` },
    })
    assertPlugin(wrong, 401, 'Invalid user or password')
    assert.equal(wrong.headers['www-authenticate'], realm)
    const right = await get(web, 'p34.test', '/secret', {
      headers: { authorization: `Basic ${Buffer.from('admin:123456').toString('base64')}` },
    })
    assertProxied(right)
    assert.equal(echo.seen.at(-1)?.url, '/secret')
    assert.equal(echo.seen.at(-1)?.headers.authorization, undefined)
  })

  test('35: key_auth by query: missing, wrong, right with the key removed upstream', async () => {
    assertPlugin(await get(web, 'p35.test', '/x'), 401, 'Key missing')
    assertPlugin(await get(web, 'p35.test', '/x?key=bad'), 401, 'Key auth fail')
    assertProxied(await get(web, 'p35.test', '/x?a=1&key=k2'))
    const url = echo.seen.at(-1)?.url ?? ''
    assert.ok(url.startsWith('/x'), url)
    assert.doesNotMatch(url, /key=/)
  })

  test('36: jwt HS256: missing, malformed, expired; auth_path mints a token of the claims', async () => {
    assertPlugin(await get(web, 'p36.test', '/api'), 401, 'Jwt authorization is missing')
    const auth = (t: string) => ({ headers: { authorization: `Bearer ${t}` } })
    assertPlugin(
      await get(web, 'p36.test', '/api', auth('a.b')),
      401,
      'Jwt authorization format is invalid',
    )
    const expired = hs256({ id: 1, exp: Math.floor(Date.now() / 1000) - 10 }, 'jwt-secret')
    assertPlugin(
      await get(web, 'p36.test', '/api', auth(expired)),
      401,
      'Jwt authorization is expired',
    )
    const forged = hs256({ id: 1 }, 'other-secret')
    assertPlugin(
      await get(web, 'p36.test', '/api', auth(forged)),
      401,
      'Jwt authorization is invalid',
    )

    const login = await get(web, 'p36.test', '/login', { method: 'POST', body: '{}' })
    assert.equal(login.status, 200, login.body)
    assert.equal(login.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(login.headers['content-length'], undefined)
    const { token } = JSON.parse(login.body) as { token: string }
    const [, payload] = token.split('.')
    assert.deepEqual(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()), { id: 1 })
    // The minted token opens the API.
    const ok = await get(web, 'p36.test', '/api', auth(token))
    assert.equal(ok.status, 200)
    assert.equal(ok.body, '{"id":1}')
  })

  test('37: combined_auth: a fresh digest passes; a timestamp off by more than deviation fails', async () => {
    const query = (ts: number): string => {
      const digest = createHash('sha256').update(`combined-secret:${ts}`).digest('hex')
      return `/?app_id=pingap&ts=${ts}&digest=${digest}`
    }
    const now = Math.floor(Date.now() / 1000)
    assertProxied(await get(web, 'p37.test', query(now)))
    const old = await get(web, 'p37.test', query(now - 600))
    assert.equal(old.status, 401)
    assert.match(old.body, /timestamp deviation is invalid/)
    assert.equal(old.headers['cache-control'], 'private, no-store')
  })

  test('38: ip_restriction deny 127.0.0.1 → 403; X-Forwarded-For is not trusted by default', async () => {
    assertPlugin(await get(web, 'p38.test', '/'), 403, 'Request is forbidden')
    // pingap-ts differs from Pingap (decisions §7): with basic.trusted_proxies unset, the
    // client IP is the socket peer, so a forged X-Forwarded-For does not get past the list.
    const forged = await get(web, 'p38.test', '/', { headers: { 'x-forwarded-for': '1.2.3.4' } })
    assertPlugin(forged, 403, 'Request is forbidden')
  })

  test('39: referer_restriction allow *.example.com', async () => {
    assertPlugin(await get(web, 'p39.test', '/'), 403, 'Request is forbidden')
    const sub = await get(web, 'p39.test', '/', { headers: { referer: 'https://a.example.com/x' } })
    assertProxied(sub)
    const apex = await get(web, 'p39.test', '/', { headers: { referer: 'https://example.com/' } })
    assertPlugin(apex, 403, 'Request is forbidden')
  })

  test('40: ua_restriction deny curl/', async () => {
    const curl = await get(web, 'p40.test', '/', { headers: { 'user-agent': 'curl/8.5.0' } })
    assertPlugin(curl, 403, 'Request is forbidden')
    assertProxied(await get(web, 'p40.test', '/', { headers: { 'user-agent': 'Mozilla/5.0' } }))
  })

  test('41: csrf: the token path sets the cookie; POST needs the header equal to the cookie', async () => {
    const issued = await get(web, 'p41.test', '/csrf-token')
    assert.equal(issued.status, 204)
    const cookie = String(issued.headers['set-cookie'] ?? '')
    assert.match(cookie, /^x-csrf-token=[^;]+; Path=\/$/)
    const token = cookie.slice('x-csrf-token='.length, cookie.indexOf(';'))
    assertPlugin(
      await get(web, 'p41.test', '/form', { method: 'POST', body: 'a=1' }),
      401,
      'Csrf token is empty or invalid',
    )
    const ok = await get(web, 'p41.test', '/form', {
      method: 'POST',
      body: 'a=1',
      headers: { cookie: `x-csrf-token=${token}`, 'x-csrf-token': token },
    })
    assertProxied(ok)
    assertProxied(await get(web, 'p41.test', '/page'))
  })

  test('42: cors with $http_origin: preflight 204, headers with Origin, none without', async () => {
    const origin = 'https://app.example.com'
    const preflight = await get(web, 'p42.test', '/api', { method: 'OPTIONS', headers: { origin } })
    assert.equal(preflight.status, 204)
    assert.equal(preflight.headers['access-control-allow-origin'], origin)
    assert.equal(preflight.headers['access-control-max-age'], '3600')
    assert.match(String(preflight.headers['access-control-allow-methods']), /GET/)
    const before = echo.seen.length
    const withOrigin = await get(web, 'p42.test', '/api', { headers: { origin } })
    assertProxied(withOrigin)
    assert.equal(echo.seen.length, before + 1, 'only the GET reached the upstream')
    assert.equal(withOrigin.headers['access-control-allow-origin'], origin)
    const without = await get(web, 'p42.test', '/api')
    assertProxied(without)
    assert.equal(without.headers['access-control-allow-origin'], undefined)
  })

  test('43: limit rate 1/s: the second request within the second → 429; empty keys never limit', async () => {
    // Windows are aligned to the clock (weight 100 counts the current window only), so two
    // requests can straddle a boundary, and once they have, every later request of that window
    // is refused. Three requests sent back to back span at most two windows: a working limiter
    // answers a 200 followed by a 429 somewhere in them.
    const answers: TestResponse[] = []
    for (let i = 0; i < 3; i++) answers.push(await get(web, 'p43.test', '/'))
    const statuses = answers.map((res) => res.status)
    const refused = answers.find((res, i) => res.status === 429 && answers[i - 1]?.status === 200)
    assert.ok(refused !== undefined, `no request refused after a pass: ${statuses.join(',')}`)
    assert.equal(refused.body, 'Plugin limit, exceed limit 2/1')
    for (let i = 0; i < 5; i++) assertProxied(await get(web, 'p43h.test', '/'))
    const limited: number[] = []
    for (let i = 0; i < 3; i++) {
      limited.push((await get(web, 'p43h.test', '/', { headers: { 'x-user': 'u1' } })).status)
    }
    assert.ok(limited.includes(429), `statuses: ${limited.join(',')}`)
  })

  test('44: limit inflight max 0 refuses every request', async () => {
    for (let i = 0; i < 3; i++) {
      assertPlugin(await get(web, 'p44.test', '/'), 429, 'Plugin limit, exceed limit 1/0')
    }
  })

  test('45: request_id: a UUIDv7 on proxied responses; a client id is kept and echoed', async () => {
    const res = await get(web, 'p45.test', '/')
    assertProxied(res)
    const id = String(res.headers['x-request-id'])
    assert.match(id, UUID_V7)
    assert.equal(id.length, 36)
    assert.equal(echo.seen.at(-1)?.headers['x-request-id'], id)
    const kept = await get(web, 'p45.test', '/', { headers: { 'x-request-id': 'abc' } })
    assert.equal(kept.headers['x-request-id'], 'abc')
    assert.equal(echo.seen.at(-1)?.headers['x-request-id'], 'abc')
  })

  test('46: response_headers: remove runs after add; rename moves the upstream value', async () => {
    const res = await get(web, 'p46.test', '/')
    assert.equal(res.body, 'hdrs ok')
    assert.equal(res.headers['x-a'], undefined)
    assert.equal(res.headers['x-b'], undefined)
    assert.equal(res.headers['x-c'], 'moved')
  })

  test('47: response_headers leaves plugin answers (ping, mock) alone', async () => {
    const pong = await get(web, 'p47.test', '/ping')
    assertPlugin(pong, 200, 'pong')
    assert.equal(pong.headers['x-added'], undefined)
    const mocked = await get(web, 'p47.test', '/mocked')
    assertPlugin(mocked, 200, 'mocked')
    assert.equal(mocked.headers['x-added'], undefined)
    const proxied = await get(web, 'p47.test', '/other')
    assertProxied(proxied)
    assert.equal(proxied.headers['x-added'], 'yes')
  })

  test('49: accept_encoding forwards one preferred encoding, and none for deflate only', async () => {
    await get(web, 'p49.test', '/', { headers: { 'accept-encoding': 'gzip, deflate, br' } })
    assert.equal(echo.seen.at(-1)?.headers['accept-encoding'], 'br')
    await get(web, 'p49.test', '/', { headers: { 'accept-encoding': 'deflate' } })
    assert.equal(echo.seen.at(-1)?.headers['accept-encoding'], undefined)
  })

  test('52: traffic_splitting weight 100 → all to the alternate, 0 → none, sticky is stable', async () => {
    for (let i = 0; i < 5; i++) {
      assertProxied(await get(web, 'p52a.test', '/'), 'alt')
      assertProxied(await get(web, 'p52n.test', '/'), 'echo')
    }
    const seenBy = new Set<string>()
    for (const uid of ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8']) {
      const first = (await get(web, 'p52s.test', '/', { headers: { cookie: `uid=${uid}` } })).body
      for (let i = 0; i < 3; i++) {
        const again = await get(web, 'p52s.test', '/', { headers: { cookie: `uid=${uid}` } })
        assert.equal(again.body.split(' ')[0], first.split(' ')[0], uid)
      }
      seenBy.add(first.split(' ')[0] ?? '')
    }
    // Without a sticky value the request is never switched.
    for (let i = 0; i < 3; i++) assertProxied(await get(web, 'p52s.test', '/'), 'echo')
    assert.ok(seenBy.size >= 1)
  })

  test('53: enable_server_timing adds server-timing with plugin entries, ending in total', async () => {
    const res = await get(web, 'p53.test', '/')
    assertProxied(res)
    const header = String(res.headers['server-timing'])
    assert.match(header, /upstream;dur=[\d.]+/)
    assert.match(header, /plugin\.pingap:requestId;dur=[\d.]+, plugin;dur=[\d.]+/)
    assert.match(header, /, total;dur=[\d.]+$/)
  })

  test('plugin answers drain a small request body: the keep-alive connection stays usable', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const denied = await get(web, 'p34.test', '/', {
        agent,
        method: 'POST',
        body: 'x'.repeat(10_000),
      })
      assert.equal(denied.status, 401)
      assertProxied(await get(web, 'p31.test', '/after', { agent }))
    } finally {
      agent.destroy()
    }
  })
})

describe('spec §14.38 with trusted proxies: X-Forwarded-For is believed', () => {
  test('trusted_proxies = ["127.0.0.1"] lets the forwarded client IP decide', async () => {
    const echo = await startUpstream(undefined, 'echo')
    const pingap = await startPingap(
      {
        'basic.toml': '[basic]\ntrusted_proxies = ["127.0.0.1"]\n',
        'servers.toml': tables('servers', { web: { addr: '127.0.0.1:0', locations: ['p38'] } }),
        'locations.toml': tables('locations', { p38: { upstream: 'echo', plugins: ['deny'] } }),
        'upstreams.toml': tables('upstreams', { echo: { addrs: [echo.addr] } }),
        'plugins.toml': tables('plugins', {
          deny: { category: 'ip_restriction', type: 'deny', ip_list: ['127.0.0.1'] },
        }),
      },
      { waitFor: ['web'] },
    )
    try {
      const web = pingap.servers.get('web') ?? ''
      assertPlugin(await get(web, 'any.test', '/'), 403, 'Request is forbidden')
      const forwarded = await get(web, 'any.test', '/', {
        headers: { 'x-forwarded-for': '1.2.3.4' },
      })
      assertProxied(forwarded)
    } finally {
      await pingap.stop()
      await echo.close()
    }
  })
})
