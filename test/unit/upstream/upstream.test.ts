import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import type { UpstreamConf } from '../../../src/config/types.ts'
import { ConfigError } from '../../../src/core/errors.ts'
import { createUpstream, TRANSPARENT_POOL_LIMIT } from '../../../src/upstream/upstream.ts'
import { eventually, fakeContext } from './fixtures.ts'
import { dispatchRequest } from '../../helpers/dispatch-request.ts'

const closers: Array<() => Promise<void>> = []
after(async () => {
  for (const close of closers) await close()
})

function upstream(conf: Partial<UpstreamConf> & { addrs: readonly string[] }, name = 'app') {
  const u = createUpstream(name, conf, {})
  closers.push(() => u.close())
  return u
}

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler).listen(0, '127.0.0.1')
  await once(server, 'listening')
  closers.push(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { server, port: (server.address() as AddressInfo).port }
}

test('static addrs become backends with default ports and weights', () => {
  const u = upstream({ addrs: ['10.0.0.1', '10.0.0.2:8080 3', '[::1]:81'] })
  assert.deepEqual(
    u.backends.map((b) => [b.address, b.weight, b.healthy]),
    [
      ['10.0.0.1:80', 1, true],
      ['10.0.0.2:8080', 3, true],
      ['[::1]:81', 1, true],
    ],
  )
  assert.equal(u.transparent, false)
  const tls = upstream({ addrs: ['10.0.0.1'], sni: 'api.test' })
  assert.equal(tls.backends[0]?.address, '10.0.0.1:443')
  assert.equal(tls.options.tls, true)
})

test('duplicate addresses are one backend', () => {
  assert.equal(upstream({ addrs: ['10.0.0.1', '10.0.0.1:80 5'] }).backends.length, 1)
})

test('pick follows the selector and returns undefined when every backend is down', () => {
  const u = upstream({ addrs: ['10.0.0.1', '10.0.0.2'] })
  const ctx = fakeContext()
  assert.deepEqual(
    [u.pick(ctx), u.pick(ctx), u.pick(ctx)].map((b) => b?.address),
    ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.1:80'],
  )
  u.setHealthy('10.0.0.1:80', false)
  assert.equal(u.pick(ctx)?.address, '10.0.0.2:80')
  assert.equal(u.pick(ctx, new Set(u.backends.slice(1))), undefined)
  u.setHealthy('10.0.0.2:80', false)
  assert.equal(u.pick(ctx), undefined)
})

test('the hash ignores key order and changes with the pool size', () => {
  const a = createUpstream('app', { addrs: ['10.0.0.1'], algo: 'hash:ip', sni: 'x' }, {})
  const b = createUpstream('app', { sni: 'x', algo: 'hash:ip', addrs: ['10.0.0.1'] }, {})
  const c = createUpstream(
    'app',
    { addrs: ['10.0.0.1'], algo: 'hash:ip', sni: 'x' },
    { upstream_keepalive_pool_size: 4 },
  )
  assert.equal(a.hash, b.hash)
  assert.notEqual(a.hash, c.hash)
  closers.push(
    () => a.close(),
    () => b.close(),
    () => c.close(),
  )
})

test('previous health flags carry over for addresses that survive', () => {
  const first = upstream({ addrs: ['10.0.0.1', '10.0.0.2'] })
  first.setHealthy('10.0.0.2:80', false)
  const second = createUpstream(
    'app',
    { addrs: ['10.0.0.1 2', '10.0.0.2 2', '10.0.0.3'] },
    {},
    first,
  )
  closers.push(() => second.close())
  assert.deepEqual(
    second.backends.map((b) => b.healthy),
    [true, false, true],
  )
})

test('invalid upstream settings are ConfigErrors naming the key', () => {
  const cases: Array<{ conf: UpstreamConf; path: string }> = [
    { conf: { addrs: [] }, path: 'upstreams.app.addrs' },
    { conf: { addrs: ['10.0.0.1:99999'] }, path: 'upstreams.app.addrs' },
    { conf: { addrs: ['0.0.0.0:80'] }, path: 'upstreams.app.addrs' },
    { conf: { addrs: ['10.0.0.1'], algo: 'least_conn' }, path: 'upstreams.app.algo' },
    { conf: { addrs: ['app 0'], discovery: 'docker' }, path: 'upstreams.app.addrs' },
    { conf: { addrs: ['10.0.0.1'], discovery: 'consul' }, path: 'upstreams.app.discovery' },
    { conf: { addrs: ['10.0.0.1'], health_check: 'ftp://x' }, path: 'upstreams.app.health_check' },
    { conf: { addrs: ['10.0.0.1'], max_h2_streams: 0 }, path: 'upstreams.app.max_h2_streams' },
    { conf: { addrs: ['10.0.0.1'], tcp_probe_count: 17 }, path: 'upstreams.app.tcp_probe_count' },
    { conf: { addrs: ['a.test'], dns_server: 'dns.test' }, path: 'upstreams.app.dns_server' },
    { conf: { addrs: ['10.0.0.1'], idle_timeout: 'x' }, path: 'upstreams.app.idle_timeout' },
    { conf: { addrs: [], discovery: 'transparent' }, path: 'upstreams.app.addrs' },
  ]
  for (const { conf, path } of cases) {
    assert.throws(
      () => createUpstream('app', conf, {}),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(conf),
    )
  }
})

test('a host name without discovery is dns: it serves by name, then by its addresses', async () => {
  const u = upstream({ addrs: ['localhost:8080 2', '127.0.0.9:8080'], ipv4_only: true })
  // Before start(): no DNS query was made, the name itself is the backend (undici resolves it).
  assert.deepEqual(
    u.backends.map((b) => b.address),
    ['localhost:8080', '127.0.0.9:8080'],
  )
  u.start()
  await eventually(() =>
    assert.deepEqual(
      u.backends.map((b) => [b.address, b.weight]),
      [
        ['127.0.0.1:8080', 2],
        ['127.0.0.9:8080', 1],
      ],
    ),
  )
  // A reload carries the answers over: the new version starts with addresses, not names.
  const next = createUpstream(
    'app',
    { addrs: ['localhost:8080 2', '127.0.0.9:8080'], ipv4_only: true, algo: 'random' },
    {},
    u,
  )
  closers.push(() => next.close())
  assert.equal(next.backends[0]?.address, '127.0.0.1:8080')
})

test('discovery = "static" keeps a host name as the backend', () => {
  const u = upstream({ addrs: ['localhost:8080'], discovery: 'static' })
  u.start()
  assert.equal(u.backends[0]?.address, 'localhost:8080')
})

test('a request goes through the backend pool to the real server', async () => {
  const { port } = await listen((req, res) => res.end(`hello ${req.url}`))
  const u = upstream({ addrs: [`127.0.0.1:${port}`] })
  const backend = u.pick(fakeContext())!
  const res = await dispatchRequest(backend.pool, { method: 'GET', path: '/x?y=1' })
  assert.equal(res.statusCode, 200)
  assert.equal(await res.body.text(), 'hello /x?y=1')
})

test('close() lets an in-flight request finish', async () => {
  let release: () => void = () => undefined
  const { port } = await listen((_req, res) => {
    res.write('part1-')
    release = () => res.end('part2')
  })
  const u = createUpstream('app', { addrs: [`127.0.0.1:${port}`] }, {})
  const res = await dispatchRequest(u.backends[0]!.pool, { method: 'GET', path: '/' })
  let closed = false
  const closing = u.close().then(() => (closed = true))
  const body = res.body.text()
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(closed, false)
  release()
  assert.equal(await body, 'part1-part2')
  await closing
  assert.equal(closed, true)
  await assert.rejects(dispatchRequest(u.backends[0]!.pool, { method: 'GET', path: '/' }))
})

test('transparent: the backend is the request host, one pool per host', () => {
  const u = upstream({ addrs: ['ignored'], discovery: 'transparent' })
  assert.equal(u.transparent, true)
  assert.deepEqual(u.backends, [])
  const a = u.backendFor('a.test')
  assert.equal(a.address, 'a.test:80')
  assert.equal(u.backendFor('a.test'), a)
  assert.equal(u.pick(fakeContext()), u.backendFor('example.test'))
  assert.equal(u.pick(fakeContext(), new Set([u.backendFor('example.test')])), undefined)
  const tls = upstream({ addrs: ['x'], discovery: 'transparent', sni: '$host' })
  assert.equal(tls.backendFor('[::1]').address, '[::1]:443')
})

test('transparent pools are bounded: the least recently used host is closed', () => {
  const u = upstream({ addrs: ['x'], discovery: 'transparent' })
  const first = u.backendFor('h0.test')
  const second = u.backendFor('h1.test')
  for (let i = 2; i <= TRANSPARENT_POOL_LIMIT; i++) {
    u.backendFor(`h${i}.test`)
    if (i === 500) u.backendFor('h0.test') // recently used: survives
  }
  assert.equal(u.backendFor('h0.test'), first)
  assert.notEqual(u.backendFor('h1.test'), second)
  assert.equal((second.pool as unknown as { closed: boolean }).closed, true)
})
