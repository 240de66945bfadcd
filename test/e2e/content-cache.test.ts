/**
 * The `cache` plugin through the real binary: spec §14 item 50, the cache lock (100 concurrent
 * misses → one upstream request), PURGE, Vary, HEAD from a cached GET, hits passing through the
 * response hooks, hostile-catalogue I1/I2/I4, and a file cache that survives a restart.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request, type TestResponse } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

/** An origin whose answers depend on the path; counts requests per path. */
function origin(): {
  handler: (req: IncomingMessage, res: ServerResponse) => void
  count: (path: string) => number
  release: () => void
} {
  const counts = new Map<string, number>()
  const held: Array<() => void> = []
  let released = false
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume()
    const path = (req.url ?? '').split('?')[0]!
    const n = (counts.get(path) ?? 0) + 1
    counts.set(path, n)
    const send = (headers: Record<string, string>, body: string): void => {
      res.writeHead(200, { 'content-type': 'text/plain', ...headers })
      res.end(req.method === 'HEAD' ? undefined : body)
    }
    switch (path) {
      case '/nostore':
        return send({ 'cache-control': 'no-store' }, `nostore ${n}`)
      case '/private':
        return send({ 'cache-control': 'private, max-age=60' }, `private ${n}`)
      case '/max0':
        return send({ 'cache-control': 'max-age=0' }, `max0 ${n}`)
      case '/cookie':
        return send({ 'cache-control': 'max-age=60', 'set-cookie': 's=1' }, `cookie ${n}`)
      case '/vary':
        return send(
          { 'cache-control': 'max-age=60', vary: 'Accept-Language' },
          `lang ${req.headers['accept-language'] ?? '-'} ${n}`,
        )
      case '/reflect':
        return send({ 'cache-control': 'max-age=60' }, `host ${req.headers.host ?? ''}`)
      case '/probe':
        return send({ 'cache-control': 'no-store' }, 'probe')
      case '/locked': {
        const answer = (): void => send({ 'cache-control': 'max-age=60' }, `locked ${n}`)
        if (released) answer()
        else held.push(answer)
        return
      }
      default:
        return send({ 'cache-control': 'max-age=60', etag: '"v1"' }, `${path} ${n}`)
    }
  }
  return {
    handler,
    count: (path) => counts.get(path) ?? 0,
    release: () => {
      released = true
      for (const answer of held.splice(0)) answer()
    },
  }
}

function config(upstream: string, cacheDirectory: string, extra = ''): string {
  return `
[servers.web]
addr = "127.0.0.1:0"
locations = ["denied", "cached"]

[locations.cached]
path = "/"
upstream = "origin"
max_processing = 100
plugins = ["cache", "hooked"]

[locations.denied]
host = "denied.test"
path = "/"
upstream = "origin"
plugins = ["strictCache"]

[upstreams.origin]
addrs = ["${upstream}"]

[plugins.cache]
category = "cache"
directory = ${JSON.stringify(cacheDirectory)}
lock = "30s"
purge_ip_list = ["127.0.0.1"]

[plugins.strictCache]
category = "cache"
directory = ${JSON.stringify(cacheDirectory)}
namespace = "strict"
purge_ip_list = ["10.0.0.0/8"]

[plugins.hooked]
category = "response_headers"
add_headers = ["X-Hooked: yes"]
${extra}`
}

describe('cache plugin (memory)', () => {
  const o = origin()
  let up: TestUpstream
  let pingap: Pingap
  let web: string

  before(async () => {
    up = await startUpstream(o.handler, 'origin')
    pingap = await startPingap(
      { 'pingap.toml': config(up.addr, 'memory://?max_size=64mb') },
      { waitFor: ['web'] },
    )
    web = pingap.servers.get('web')!
  })

  after(async () => {
    await pingap.stop()
    await up.close()
  })

  test('§14.50: miss then hit; no-store, private and max-age=0 are never hits', async () => {
    const first = await request(web, '/page')
    assert.equal(first.headers['x-cache-status'], 'miss')
    assert.match(String(first.headers['x-cache-lookup']), /^\d+ms$/)
    const second = await request(web, '/page')
    assert.equal(second.headers['x-cache-status'], 'hit')
    assert.equal(second.body, '/page 1')
    assert.equal(second.headers['x-hooked'], 'yes', 'hits pass through the response hooks')
    assert.ok(second.headers['age'] !== undefined)
    assert.equal(o.count('/page'), 1)
    for (const path of ['/nostore', '/private', '/max0', '/cookie']) {
      await request(web, path)
      const again = await request(web, path)
      assert.notEqual(again.headers['x-cache-status'], 'hit', path)
      assert.equal(o.count(path), 2, path)
    }
  })

  test('§14.50: PURGE from an allowed IP empties the entry; others get 403; /* needs a namespace', async () => {
    await request(web, '/purgeme')
    assert.equal((await request(web, '/purgeme')).headers['x-cache-status'], 'hit')
    const purged = await request(web, '/purgeme', { method: 'PURGE' })
    assert.equal(purged.status, 204)
    assert.equal((await request(web, '/purgeme')).headers['x-cache-status'], 'miss')
    const denied = await request(web, '/purgeme', {
      method: 'PURGE',
      headers: { host: 'denied.test' },
    })
    assert.equal(denied.status, 403)
    assert.equal(denied.body, 'Forbidden, ip is not allowed')
    assert.equal((await request(web, '/*', { method: 'PURGE' })).status, 501)
  })

  test('HEAD is answered from the cached GET; validators get 304 from the cache', async () => {
    const get = await request(web, '/headme')
    const head = await request(web, '/headme', { method: 'HEAD' })
    assert.equal(head.headers['x-cache-status'], 'hit')
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)))
    assert.equal(head.body, '')
    const revalidated = await request(web, '/headme', { headers: { 'if-none-match': '"v1"' } })
    assert.equal(revalidated.status, 304)
    assert.equal(revalidated.headers['content-length'], undefined)
    assert.equal(revalidated.headers['x-cache-status'], 'hit')
    assert.equal(o.count('/headme'), 1)
  })

  test('Vary: each Accept-Language gets its own entry', async () => {
    const en = await request(web, '/vary', { headers: { 'accept-language': 'en' } })
    const fr = await request(web, '/vary', { headers: { 'accept-language': 'fr' } })
    assert.equal(en.headers['x-cache-status'], 'miss')
    assert.equal(fr.headers['x-cache-status'], 'miss')
    const en2 = await request(web, '/vary', { headers: { 'accept-language': 'en' } })
    const fr2 = await request(web, '/vary', { headers: { 'accept-language': 'fr' } })
    assert.equal(en2.headers['x-cache-status'], 'hit')
    assert.equal(en2.body, en.body)
    assert.equal(fr2.headers['x-cache-status'], 'hit')
    assert.equal(fr2.body, fr.body)
    assert.equal(o.count('/vary'), 2)
  })

  test('I1, I4: hosts are separate entries; Authorization bypasses the cache', async () => {
    const a = await request(web, '/reflect', { headers: { host: 'a.test' } })
    const b = await request(web, '/reflect', { headers: { host: 'b.test' } })
    assert.equal(a.body, 'host a.test')
    assert.equal(a.headers['x-cache-status'], 'miss')
    assert.equal(b.headers['x-cache-status'], 'miss')
    assert.equal(b.body, 'host b.test')
    assert.equal(
      (await request(web, '/reflect', { headers: { host: 'b.test' } })).body,
      'host b.test',
    )
    const auth = await request(web, '/page', { headers: { authorization: 'Bearer x' } })
    assert.equal(auth.headers['x-cache-status'], 'bypass')
  })

  test('I2: a hit with a request body answers once and never runs the body as a request', async () => {
    await request(web, '/smuggle-target', { headers: { host: 'x' } })
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'
    const url = new URL(web)
    let text = ''
    const socket = connect(Number(url.port), url.hostname)
    socket.on('data', (c: Buffer) => (text += c.toString()))
    socket.write(
      `GET /smuggle-target HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`,
    )
    // The proxy keeps the connection open: wait for the first response to be complete.
    await eventually(() => assert.match(text, /\r\n\r\n\/smuggle-target 1$/))
    socket.end()
    assert.equal(text.match(/HTTP\/1\.1 /g)?.length, 1)
    assert.match(text, /x-cache-status: hit/i)
    await eventually(() => assert.equal(o.count('/smuggle-target'), 1))
    assert.equal(o.count('/smuggled'), 0)
  })

  test('the cache lock: 100 concurrent misses make one upstream request', async () => {
    const results = Array.from({ length: 100 }, () =>
      request(web, '/locked', { timeoutMs: 60_000 }),
    )
    // max_processing = 100: the probe is refused once all 100 are inside the proxy.
    await eventually(async () => {
      const probe = await request(web, '/probe')
      assert.equal(probe.status, 429)
    }, 30_000)
    o.release()
    const answers: TestResponse[] = await Promise.all(results)
    assert.ok(answers.every((r) => r.status === 200 && r.body === 'locked 1'))
    const statuses = answers.map((r) => r.headers['x-cache-status'])
    assert.equal(statuses.filter((s) => s === 'miss').length, 1)
    assert.equal(statuses.filter((s) => s === 'hit').length, 99)
    assert.ok(answers.some((r) => /^\d+ms$/.test(String(r.headers['x-cache-lock']))))
    assert.equal(o.count('/locked'), 1)
  })
})

describe('cache plugin (file)', () => {
  test('entries survive a restart of the proxy', async () => {
    const o = origin()
    const up = await startUpstream(o.handler, 'origin')
    const dir = mkdtempSync(join(tmpdir(), 'pingap-cache-e2e-'))
    const files = { 'pingap.toml': config(up.addr, `${dir}?max_size=10mb`) }
    try {
      let pingap = await startPingap(files, { waitFor: ['web'] })
      let web = pingap.servers.get('web')!
      assert.equal((await request(web, '/kept')).headers['x-cache-status'], 'miss')
      await eventually(async () => {
        const res = await request(web, '/kept')
        assert.equal(res.headers['x-cache-status'], 'hit')
      })
      await pingap.stop()
      pingap = await startPingap(files, { waitFor: ['web'] })
      web = pingap.servers.get('web')!
      const after = await request(web, '/kept')
      assert.equal(after.headers['x-cache-status'], 'hit')
      assert.equal(after.body, '/kept 1')
      assert.equal(o.count('/kept'), 1)
      const all = await request(web, '/*', { method: 'PURGE' })
      assert.equal(all.status, 501)
      await pingap.stop()
    } finally {
      await up.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
