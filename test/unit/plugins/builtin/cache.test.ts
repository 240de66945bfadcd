import assert from 'node:assert/strict'
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { test } from 'node:test'
import type { RequestContext } from '../../../../src/core/context.ts'
import { ConfigError } from '../../../../src/core/errors.ts'
import type { HttpResponse } from '../../../../src/core/http-response.ts'
import type { Plugin } from '../../../../src/plugins/types.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { head, plugin, request, text } from './support.ts'

let stores = 0
/** A cache plugin on its own memory store (stores are process-wide, keyed by `directory`). */
function cachePlugin(extra: Record<string, unknown> = {}): Plugin {
  stores++
  return plugin({
    category: 'cache',
    directory: `memory://?max_size=${1_000_000 + stores}`,
    ...extra,
  })
}

function ctx(path: string, headers: IncomingHttpHeaders = {}, method = 'GET'): RequestContext {
  return fakeContext({ path, method, headers: { host: 'example.com', ...headers } })
}

/** Runs the request step and the lookup; a response means "answered" (hit or PURGE). */
async function lookup(p: Plugin, c: RequestContext): Promise<HttpResponse | undefined> {
  const answered = await request(p, c)
  if (answered !== undefined) return answered
  return p.onCacheLookup?.(c)
}

/** Plays the upstream response through the store hook, then the response hook and done. */
function respond(
  p: Plugin,
  c: RequestContext,
  status: number,
  headers: OutgoingHttpHeaders,
  body: string,
) {
  const h = head(status, { ...headers })
  const observer = p.onCacheStore?.(c, h)
  observer?.(Buffer.from(body), false)
  observer?.(Buffer.alloc(0), true)
  void p.onResponse?.(c, h)
  p.onDone?.(c)
  return h
}

function finish(p: Plugin, c: RequestContext, res: HttpResponse): OutgoingHttpHeaders {
  const h = head(res.status, { ...res.headers })
  void p.onResponse?.(c, h)
  p.onDone?.(c)
  return h.headers
}

test('cache: miss, then hit with x-cache headers and Age; HEAD served from the GET', async () => {
  const p = cachePlugin()
  const first = ctx('/a')
  assert.equal(await lookup(p, first), undefined)
  const h = respond(
    p,
    first,
    200,
    { 'cache-control': 'max-age=60', 'content-type': 'text/plain' },
    'body-a',
  )
  assert.equal(h.headers['x-cache-status'], 'miss')
  assert.match(String(h.headers['x-cache-lookup']), /^\d+ms$/)
  const second = ctx('/a')
  const hit = await lookup(p, second)
  assert.equal(hit?.viaResponseHooks, true)
  assert.equal(text(hit), 'body-a')
  assert.equal(hit?.headers['age'], '0')
  assert.equal(finish(p, second, hit)['x-cache-status'], 'hit')
  const headCtx = ctx('/a', {}, 'HEAD')
  assert.equal(text(await lookup(p, headCtx)), 'body-a')
})

test('cache: never stores no-store, private, max-age=0 or Set-Cookie responses', async () => {
  const p = cachePlugin()
  for (const headers of [
    { 'cache-control': 'no-store' },
    { 'cache-control': 'private, max-age=60' },
    { 'cache-control': 'max-age=0' },
    { 'cache-control': 'max-age=60', 'set-cookie': 'a=1' },
  ]) {
    const c = ctx('/n')
    assert.equal(await lookup(p, c), undefined)
    respond(p, c, 200, headers, 'x')
    assert.equal(await lookup(p, ctx('/n')), undefined, JSON.stringify(headers))
    p.onDone?.(ctx('/n'))
  }
})

test('cache: keys separate hosts, query strings, configured headers and Vary values', async () => {
  const p = cachePlugin({ headers: ['X-Tenant'] })
  const store = async (c: RequestContext, headers: OutgoingHttpHeaders, body: string) => {
    assert.equal(await lookup(p, c), undefined)
    respond(p, c, 200, { 'cache-control': 'max-age=60', ...headers }, body)
  }
  await store(ctx('/k'), {}, 'example')
  const other = fakeContext({ path: '/k', headers: { host: 'other.test' }, host: 'other.test' })
  assert.equal(await lookup(p, other), undefined)
  p.onDone?.(other)
  assert.equal(await lookup(p, ctx('/k', {}, 'GET')).then(text), 'example')
  const q = fakeContext({ path: '/k', query: 'x=1', headers: { host: 'example.com' } })
  assert.equal(await lookup(p, q), undefined)
  p.onDone?.(q)
  await store(ctx('/t', { 'x-tenant': 'a' }), {}, 'tenant-a')
  const b = ctx('/t', { 'x-tenant': 'b' })
  assert.equal(await lookup(p, b), undefined)
  p.onDone?.(b)
  await store(ctx('/v', { 'accept-language': 'en' }), { vary: 'Accept-Language' }, 'english')
  const fr = ctx('/v', { 'accept-language': 'fr' })
  assert.equal(await lookup(p, fr), undefined)
  respond(p, fr, 200, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }, 'french')
  assert.equal(text(await lookup(p, ctx('/v', { 'accept-language': 'en' }))), 'english')
  assert.equal(text(await lookup(p, ctx('/v', { 'accept-language': 'fr' }))), 'french')
})

test('cache: Authorization bypasses unless it is part of the key; skip bypasses', async () => {
  const p = cachePlugin({ skip: '^/private' })
  const c = ctx('/z')
  await lookup(p, c)
  respond(p, c, 200, { 'cache-control': 'max-age=60' }, 'public')
  const auth = ctx('/z', { authorization: 'Bearer x' })
  assert.equal(await lookup(p, auth), undefined)
  const h = respond(p, auth, 200, { 'cache-control': 'max-age=60' }, 'for x')
  assert.equal(h.headers['x-cache-status'], 'bypass')
  assert.equal(text(await lookup(p, ctx('/z'))), 'public')
  const skipped = ctx('/private/1')
  assert.equal(await lookup(p, skipped), undefined)
  assert.equal(respond(p, skipped, 200, {}, 'x').headers['x-cache-status'], 'bypass')
  const keyed = cachePlugin({ headers: ['authorization'] })
  const a = ctx('/y', { authorization: 'Bearer a' })
  await lookup(keyed, a)
  respond(keyed, a, 200, { 'cache-control': 'max-age=60' }, 'for a')
  assert.equal(text(await lookup(keyed, ctx('/y', { authorization: 'Bearer a' }))), 'for a')
  assert.equal(await lookup(keyed, ctx('/y', { authorization: 'Bearer b' })), undefined)
})

test('cache: the lock makes later misses wait for the first and then hit', async () => {
  const p = cachePlugin({ lock: '5s' })
  const first = ctx('/l')
  assert.equal(await lookup(p, first), undefined)
  const waiting = [ctx('/l'), ctx('/l')].map((c) => {
    assert.equal(p.onRequest!(c), undefined)
    const out = p.onCacheLookup!(c)
    assert.ok(out instanceof Promise, 'a second miss waits for the lock')
    return { c, out }
  })
  respond(p, first, 200, { 'cache-control': 'max-age=60' }, 'locked')
  for (const { c, out } of waiting) {
    const hit = await out
    assert.equal(text(hit), 'locked')
    const headers = finish(p, c, hit!)
    assert.equal(headers['x-cache-status'], 'hit')
    assert.match(String(headers['x-cache-lock']), /^\d+ms$/)
  }
})

test('cache: a conditional GET of a cached response gets 304; ranges get 206', async () => {
  const p = cachePlugin()
  const c = ctx('/c')
  await lookup(p, c)
  respond(p, c, 200, { 'cache-control': 'max-age=60', etag: '"v1"' }, '0123456789')
  assert.equal((await lookup(p, ctx('/c', { 'if-none-match': '"v1"' })))?.status, 304)
  const part = await lookup(p, ctx('/c', { range: 'bytes=2-4' }))
  assert.equal(part?.status, 206)
  assert.equal(text(part), '234')
  assert.equal(part?.headers['content-range'], 'bytes 2-4/10')
})

test('cache: PURGE needs an allowed IP; a URI or the whole namespace', async () => {
  const p = cachePlugin({ purge_ip_list: ['192.0.2.0/24'], namespace: 'ns' })
  const c = ctx('/p')
  await lookup(p, c)
  respond(p, c, 200, { 'cache-control': 'max-age=60' }, 'x')
  const denied = await lookup(p, fakeContext({ path: '/p', method: 'PURGE', clientIp: '10.0.0.1' }))
  assert.equal(denied?.status, 403)
  assert.equal(text(denied), 'Forbidden, ip is not allowed')
  const ok = await lookup(p, ctx('/p', {}, 'PURGE'))
  assert.equal(ok?.status, 204)
  assert.equal(await lookup(p, ctx('/p')), undefined)
  p.onDone?.(ctx('/p'))
  const all = await lookup(p, ctx('/*', {}, 'PURGE'))
  assert.equal(all?.status, 200)
  assert.match(text(all) ?? '', /^purged: \d+, fail: 0$/)
  const noNs = cachePlugin({ purge_ip_list: ['192.0.2.10'] })
  assert.equal((await lookup(noNs, ctx('/*', {}, 'PURGE')))?.status, 501)
})

test('cache refuses bad options with their paths', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ directory: 'memory://?size=1' }, 'plugins.test.directory'],
    [{ max_ttl: 'forever' }, 'plugins.test.max_ttl'],
    [{ max_file_size: 'huge' }, 'plugins.test.max_file_size'],
    [{ purge_ip_list: ['nope'] }, 'plugins.test.purge_ip_list[0]'],
    [{ skip: '(' }, 'plugins.test.skip'],
    [{ lock: 'x' }, 'plugins.test.lock'],
    [{ step: 'response' }, 'plugins.test.step'],
    [{ max_size: 1 }, 'plugins.test.max_size'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'cache', ...raw }),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      path,
    )
  }
})

test('cache: every hit gets its own headers, so a hook that changes one leaves the next alone', async () => {
  const p = cachePlugin()
  const first = ctx('/own')
  assert.equal(await lookup(p, first), undefined)
  respond(p, first, 200, { 'cache-control': 'max-age=60', etag: '"e"' }, 'body-own')
  const one = await lookup(p, ctx('/own'))
  assert.ok(one !== undefined)
  assert.equal(one.headers['content-length'], 'body-own'.length)
  one.headers['x-added'] = '1'
  one.headers['age'] = '999'
  const two = await lookup(p, ctx('/own'))
  assert.notEqual(two?.headers, one.headers)
  assert.equal(two?.headers['x-added'], undefined)
  assert.equal(two?.headers['age'], '0')
  assert.equal(two?.headers['etag'], '"e"')
})

test('cache: a 304 hit has no Content-Length; a header named like an Object method stays as is', async () => {
  const p = cachePlugin()
  const first = ctx('/odd')
  assert.equal(await lookup(p, first), undefined)
  respond(p, first, 200, { 'cache-control': 'max-age=60', etag: '"o"', constructor: 'x' }, 'odd')
  const hit = await lookup(p, ctx('/odd'))
  assert.equal(hit?.headers['constructor'], 'x')
  const revalidated = await lookup(p, ctx('/odd', { 'if-none-match': '"o"' }))
  assert.equal(revalidated?.status, 304)
  assert.equal(Object.hasOwn(revalidated?.headers ?? {}, 'content-length'), false)
  assert.equal(revalidated?.headers['etag'], '"o"')
  assert.equal(revalidated?.headers['age'], '0')
})
