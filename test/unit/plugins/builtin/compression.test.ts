import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import type { Transform } from 'node:stream'
import { test } from 'node:test'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import type { RequestContext } from '../../../../src/core/context.ts'
import { ConfigError } from '../../../../src/core/errors.ts'
import type { BodyStage, Plugin } from '../../../../src/plugins/types.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { head, plugin, request } from './support.ts'

const TEXT = 'hello compression '.repeat(100)

async function run(stage: BodyStage | Transform | undefined, input: Buffer): Promise<Buffer> {
  assert.ok(stage !== undefined && typeof stage !== 'function', 'expected a stream stage')
  const chunks: Buffer[] = []
  stage.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise((resolve, reject) => {
    stage.once('end', resolve)
    stage.once('error', reject)
  })
  stage.end(input)
  await done
  return Buffer.concat(chunks)
}

async function prepared(p: Plugin, headers: Record<string, string>, method = 'GET') {
  const ctx: RequestContext = fakeContext({ method, headers })
  assert.equal(await request(p, ctx), undefined)
  return ctx
}

const downstream = (extra: Record<string, unknown> = {}) =>
  plugin({ category: 'compression', gzip_level: 6, br_level: 5, ...extra })

test('downstream: br is preferred, headers fixed, the body round-trips', async () => {
  const p = downstream()
  const ctx = await prepared(p, { 'accept-encoding': 'gzip, br' })
  const h = head(200, { 'content-type': 'text/html', 'content-length': String(TEXT.length) })
  const stream = p.onResponseEncode!(ctx, h)
  assert.equal(h.headers['content-encoding'], 'br')
  assert.equal(h.headers['vary'], 'Accept-Encoding')
  assert.equal(h.headers['content-length'], undefined)
  assert.equal(brotliDecompressSync(await run(stream, Buffer.from(TEXT))).toString(), TEXT)
})

test('downstream: gzip when br is refused; nothing for clients without an accepted coding', async () => {
  const p = downstream()
  const ctx = await prepared(p, { 'accept-encoding': 'br;q=0, gzip' })
  const h = head(200, { 'content-type': 'application/json' })
  const out = await run(p.onResponseEncode!(ctx, h), Buffer.from(TEXT))
  assert.equal(gunzipSync(out).toString(), TEXT)
  const plain = await prepared(p, { 'accept-encoding': 'deflate' })
  const h2 = head(200, { 'content-type': 'application/json', 'content-length': '2000' })
  assert.equal(p.onResponseEncode!(plain, h2), undefined)
  assert.equal(h2.headers['vary'], 'Accept-Encoding')
  assert.equal(h2.headers['content-length'], '2000')
})

test('downstream leaves alone encoded, binary, partial, ranged, HEAD and 204 responses', async () => {
  const p = downstream()
  const cases: Array<[Record<string, string>, string, number, OutgoingHttpHeaders]> = [
    [{}, 'GET', 200, { 'content-type': 'text/plain', 'content-encoding': 'br' }],
    [{}, 'GET', 200, { 'content-type': 'image/png' }],
    [{}, 'GET', 206, { 'content-type': 'text/plain', 'content-range': 'bytes 0-1/9' }],
    [{ range: 'bytes=0-10' }, 'GET', 200, { 'content-type': 'text/plain' }],
    [{}, 'GET', 204, { 'content-type': 'text/plain' }],
  ]
  for (const [extra, method, status, headers] of cases) {
    const ctx = await prepared(p, { 'accept-encoding': 'gzip', ...extra }, method)
    const h = head(status, { ...headers })
    assert.equal(p.onResponseEncode!(ctx, h), undefined, JSON.stringify(headers))
    assert.notEqual(h.headers['content-encoding'], 'gzip')
  }
  const headCtx = await prepared(p, { 'accept-encoding': 'gzip' }, 'HEAD')
  const h = head(200, { 'content-type': 'text/plain', 'content-length': '900' })
  assert.equal(p.onResponseEncode!(headCtx, h), undefined)
  assert.equal(h.headers['content-encoding'], 'gzip')
  assert.equal(h.headers['content-length'], undefined)
})

test('upstream mode adds the coding to the cache key and encodes eligible bodies', async () => {
  const p = plugin({ category: 'compression', gzip_level: 6, mode: 'upstream', min_length: 100 })
  const ctx = await prepared(p, { 'accept-encoding': 'gzip' })
  assert.deepEqual(ctx.cacheKeys, ['gzip'])
  const small = head(200, { 'content-type': 'text/plain', 'content-length': '10' })
  p.onUpstreamResponse!(ctx, small)
  assert.equal(p.onUpstreamResponseBody!(ctx, small), undefined)
  const big = head(200, { 'content-type': 'text/plain', 'content-length': String(TEXT.length) })
  p.onUpstreamResponse!(ctx, big)
  assert.equal(big.headers['content-encoding'], 'gzip')
  const out = await run(p.onUpstreamResponseBody!(ctx, big), Buffer.from(TEXT))
  assert.equal(gunzipSync(out).toString(), TEXT)
})

test('upstream mode with decompression decodes what the client cannot read', async () => {
  const p = plugin({
    category: 'compression',
    br_level: 4,
    mode: 'upstream',
    decompression: true,
  })
  const identity = await prepared(p, {})
  const h = head(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
  p.onUpstreamResponse!(identity, h)
  assert.equal(h.headers['content-encoding'], undefined)
  const out = await run(p.onUpstreamResponseBody!(identity, h), gzipSync(TEXT))
  assert.equal(out.toString(), TEXT)
  const brClient = await prepared(p, { 'accept-encoding': 'br' })
  const h2 = head(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
  p.onUpstreamResponse!(brClient, h2)
  assert.equal(h2.headers['content-encoding'], 'br')
  const re = await run(p.onUpstreamResponseBody!(brClient, h2), gzipSync(TEXT))
  assert.equal(brotliDecompressSync(re).toString(), TEXT)
  const gzipClient = await prepared(p, { 'accept-encoding': 'gzip' })
  const h3 = head(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
  p.onUpstreamResponse!(gzipClient, h3)
  assert.equal(h3.headers['content-encoding'], 'gzip')
  assert.equal(p.onUpstreamResponseBody!(gzipClient, h3), undefined)
})

test('compression clamps levels and refuses bad options', () => {
  const p = plugin({ category: 'compression', gzip_level: 30 })
  assert.ok(p.onResponseEncode !== undefined)
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ gzip_level: -1 }, 'plugins.test.gzip_level'],
    [{ br_level: 'high' }, 'plugins.test.br_level'],
    [{ mode: 'sideways' }, 'plugins.test.mode'],
    [{ min_length: 'big' }, 'plugins.test.min_length'],
    [{ step: 'response' }, 'plugins.test.step'],
    [{ gzip: 6 }, 'plugins.test.gzip'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'compression', ...raw }),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      path,
    )
  }
})
