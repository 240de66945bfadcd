import assert from 'node:assert/strict'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import type { Plugin } from '../../../../src/plugins/types.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { closedPort } from '../../../helpers/upstreams.ts'
import { plugin, request, text } from './support.ts'

/** The auth service: answers with whatever `answer` does; records what it saw. */
let answer: (res: ServerResponse) => void = (res) => res.end()
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = []
const server = createServer((req, res) => {
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
  req.resume()
  answer(res)
})
let authUrl = ''

before(async () => {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  authUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/verify?realm=a`
})
after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

async function withPlugin(
  extra: Record<string, unknown>,
  run: (p: Plugin) => Promise<void>,
): Promise<void> {
  const p = plugin({ category: 'forward_auth', auth_url: authUrl, ...extra })
  seen.length = 0
  try {
    await run(p)
  } finally {
    await p.close?.()
  }
}

const original = () =>
  fakeContext({
    method: 'POST',
    path: '/dashboard',
    query: 'x=1',
    host: 'app.test',
    clientIp: '192.0.2.7',
    headers: {
      host: 'app.test',
      cookie: 'session=abc',
      authorization: 'Bearer t',
      'content-length': '5',
      connection: 'keep-alive',
    },
  })

test('forward_auth: a 2xx answer lets the request through and copies add_headers onto it', async () => {
  answer = (res) => res.writeHead(200, { 'x-user-id': '42', 'x-other': 'no' }).end('ok')
  await withPlugin({ add_headers: ['X-User-Id', 'X-Missing'] }, async (p) => {
    const ctx = original()
    assert.equal(await request(p, ctx), undefined)
    assert.equal(ctx.headers['x-user-id'], '42')
    assert.equal(ctx.headers['x-other'], undefined)
    assert.equal(ctx.headers['x-missing'], undefined)
    const [sub] = seen
    assert.equal(sub?.method, 'GET')
    assert.equal(sub?.url, '/verify?realm=a')
    assert.equal(sub?.headers['cookie'], 'session=abc')
    assert.equal(sub?.headers['authorization'], 'Bearer t')
    assert.equal(sub?.headers['content-length'], undefined)
    assert.notEqual(sub?.headers['host'], 'app.test')
    assert.equal(sub?.headers['x-forwarded-method'], 'POST')
    assert.equal(sub?.headers['x-forwarded-uri'], '/dashboard?x=1')
    assert.equal(sub?.headers['x-forwarded-host'], 'app.test')
    assert.equal(sub?.headers['x-forwarded-proto'], 'http')
    assert.equal(sub?.headers['x-forwarded-for'], '192.0.2.7')
  })
})

test('forward_auth: request_headers limits what the auth service sees', async () => {
  answer = (res) => res.writeHead(204).end()
  await withPlugin({ request_headers: ['Cookie'] }, async (p) => {
    assert.equal(await request(p, original()), undefined)
    assert.equal(seen[0]?.headers['cookie'], 'session=abc')
    assert.equal(seen[0]?.headers['authorization'], undefined)
    assert.equal(seen[0]?.headers['x-forwarded-uri'], '/dashboard?x=1')
  })
})

test('forward_auth: any other answer is relayed (status, headers, body), redirects included', async () => {
  answer = (res) =>
    res
      .writeHead(302, { location: '/login', 'set-cookie': ['a=1', 'b=2'], connection: 'close' })
      .end('denied')
  await withPlugin({}, async (p) => {
    const res = await request(p, original())
    assert.equal(res?.status, 302)
    assert.equal(text(res), 'denied')
    assert.equal(res?.headers['location'], '/login')
    assert.deepEqual(res?.headers['set-cookie'], ['a=1', 'b=2'])
    assert.equal(res?.headers['connection'], undefined)
    assert.equal(res?.headers['content-length'], undefined)
    assert.equal(seen.length, 1, 'the redirect is not followed')
  })
  answer = (res) => res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('who?')
  await withPlugin({}, async (p) => {
    const res = await request(p, original())
    assert.equal(res?.status, 401)
    assert.equal(res?.headers['www-authenticate'], 'Bearer')
  })
})

test('forward_auth: a refused connection or a timeout answers 502 Forward auth request failed', async () => {
  const port = await closedPort()
  const refused = plugin({ category: 'forward_auth', auth_url: `http://127.0.0.1:${port}/` })
  try {
    const res = await request(refused, original())
    assert.equal(res?.status, 502)
    assert.equal(text(res), 'Forward auth request failed')
  } finally {
    await refused.close?.()
  }
  answer = () => undefined // never answers
  await withPlugin({ timeout: '100ms' }, async (p) => {
    const started = performance.now()
    const res = await request(p, original())
    assert.equal(res?.status, 502)
    assert.ok(performance.now() - started < 5_000)
  })
  server.closeAllConnections()
})

test('forward_auth refuses bad options with their key', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, 'plugins.f.auth_url'],
    [{ auth_url: 'not a url' }, 'plugins.f.auth_url'],
    [{ auth_url: 'ftp://x.test/' }, 'plugins.f.auth_url'],
    [{ auth_url: 'http://x.test/', timeout: 'later' }, 'plugins.f.timeout'],
    [{ auth_url: 'http://x.test/', timeout: '0s' }, 'plugins.f.timeout'],
    [{ auth_url: 'http://x.test/', request_headers: 'cookie' }, 'plugins.f.request_headers'],
    [{ auth_url: 'http://x.test/', add_header: ['x'] }, 'plugins.f.add_header'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'forward_auth', ...raw }, 'f'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      path,
    )
  }
  assert.equal(plugin({ category: 'forward_auth', auth_url: 'http://x.test/' }).step, 'request')
})
