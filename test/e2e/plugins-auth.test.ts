/**
 * External auth against the real binary: forward_auth (pass, relay, auth service down) and jwt
 * with a JWKS URL; and `-t`, which dry-runs every plugin table through its factory.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { exportJWK, SignJWT } from 'jose'
import { runPingap, startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { closeAll, get, tables } from '../helpers/spec.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

describe('external auth plugins', () => {
  let pingap: Pingap
  let web = ''
  let echo: TestUpstream
  let auth: TestUpstream
  let jwks: TestUpstream
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const sign = (key = rsa.privateKey, kid = 'k1'): Promise<string> =>
    new SignJWT({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(key)

  before(async () => {
    echo = await startUpstream(undefined, 'echo')
    auth = await startUpstream((req, res) => {
      req.resume()
      if (req.headers.authorization === 'Bearer good') {
        res.writeHead(200, { 'x-auth-user': 'alice' }).end()
      } else {
        res.writeHead(302, { location: '/login', 'set-cookie': 'next=1' }).end('login first')
      }
    }, 'auth')
    const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
    jwks = await startUpstream((req, res) => {
      req.resume()
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }))
    }, 'jwks')
    const dead = await closedPort()
    pingap = await startPingap(
      {
        'servers.toml': tables('servers', {
          web: { addr: '127.0.0.1:0', locations: ['fa', 'faDown', 'jwks'] },
        }),
        'locations.toml': tables('locations', {
          fa: { host: 'fa.test', upstream: 'echo', plugins: ['forward'] },
          faDown: { host: 'fadown.test', upstream: 'echo', plugins: ['forwardDown'] },
          jwks: { host: 'jwks.test', upstream: 'echo', plugins: ['sso'] },
        }),
        'upstreams.toml': tables('upstreams', { echo: { addrs: [echo.addr] } }),
        'plugins.toml': tables('plugins', {
          forward: {
            category: 'forward_auth',
            auth_url: `http://${auth.addr}/verify`,
            add_headers: ['X-Auth-User'],
            timeout: '2s',
          },
          forwardDown: { category: 'forward_auth', auth_url: `http://127.0.0.1:${dead}/verify` },
          sso: {
            category: 'jwt',
            header: 'Authorization',
            jwks_url: `http://${jwks.addr}/jwks.json`,
          },
        }),
      },
      { waitFor: ['web'] },
    )
    web = pingap.servers.get('web') ?? ''
  })
  after(async () => {
    await pingap?.stop()
    await closeAll([echo, auth, jwks].filter((u) => u !== undefined))
  })

  test('forward_auth: 2xx passes with the copied header, anything else is relayed, down is 502', async () => {
    const ok = await get(web, 'fa.test', '/app?x=1', { headers: { authorization: 'Bearer good' } })
    assert.equal(ok.status, 200)
    assert.match(ok.body, /^echo GET \/app\?x=1/)
    assert.equal(echo.seen.at(-1)?.headers['x-auth-user'], 'alice')
    const sub = auth.seen.at(-1)
    assert.equal(sub?.url, '/verify')
    assert.equal(sub?.headers['x-forwarded-uri'], '/app?x=1')
    assert.equal(sub?.headers['x-forwarded-host'], 'fa.test')
    assert.equal(sub?.headers['x-forwarded-method'], 'GET')

    const seen = echo.seen.length
    const denied = await get(web, 'fa.test', '/app', { headers: { authorization: 'Bearer bad' } })
    assert.equal(denied.status, 302)
    assert.equal(denied.headers.location, '/login')
    assert.equal(denied.headers['set-cookie']?.[0], 'next=1')
    assert.equal(denied.body, 'login first')
    assert.equal(echo.seen.length, seen)

    const down = await get(web, 'fadown.test', '/app')
    assert.equal(down.status, 502)
    assert.equal(down.body, 'Forward auth request failed')
  })

  test('jwt with jwks_url: a token of a listed key passes, another key gets 401', async () => {
    const ok = await get(web, 'jwks.test', '/', {
      headers: { authorization: `Bearer ${await sign()}` },
    })
    assert.equal(ok.status, 200, ok.body)
    const forged = await sign(other.privateKey)
    const res = await get(web, 'jwks.test', '/', { headers: { authorization: `Bearer ${forged}` } })
    assert.equal(res.status, 401)
    assert.equal(res.body, 'Jwt authorization is invalid')
    // The set was fetched once (at start-up), not per request.
    assert.equal(jwks.seen.length, 1)
  })
})

describe('pingap-ts -t dry-runs every plugin table', () => {
  test('a bad plugin option fails -t with the plugin name and key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingap-plugins-t-'))
    try {
      writeFileSync(
        join(dir, 'pingap.toml'),
        tables('servers', { web: { addr: '127.0.0.1:0', locations: ['l'] } }) +
          tables('locations', { l: { upstream: 'u', plugins: ['sso'] } }) +
          tables('upstreams', { u: { addrs: ['127.0.0.1:9'] } }) +
          tables('plugins', {
            sso: { category: 'jwt', header: 'Authorization', public_key: 'not a key' },
          }),
      )
      const bad = await runPingap(['-t', '-c', dir])
      assert.equal(bad.code, 1, bad.stdout + bad.stderr)
      assert.match(bad.stdout + bad.stderr, /plugins\.sso\.public_key/)
      const pem = rsaPem()
      writeFileSync(
        join(dir, 'pingap.toml'),
        readFileSync(join(dir, 'pingap.toml'), 'utf8').replace('"not a key"', JSON.stringify(pem)),
      )
      const good = await runPingap(['-t', '-c', dir])
      assert.equal(good.code, 0, good.stdout + good.stderr)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

function rsaPem(): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return publicKey.export({ type: 'spki', format: 'pem' }).toString()
}
