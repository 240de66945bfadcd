import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import { Readable, type Transform } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { test } from 'node:test'
import sharp from 'sharp'
import { ConfigError } from '../../../../src/core/errors.ts'
import type { Plugin, ResponseHead } from '../../../../src/plugins/types.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request } from './support.ts'

const png = await sharp({
  create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 20, b: 90 } },
})
  .png()
  .toBuffer()

async function run(
  p: Plugin,
  accept: string | undefined,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  status = 200,
): Promise<{ head: ResponseHead; body: Buffer; cacheKeys: string[] | undefined }> {
  const ctx = fakeContext({ headers: accept === undefined ? {} : { accept } })
  await request(p, ctx)
  const head: ResponseHead = { status, headers: { ...headers } }
  p.onUpstreamResponse?.(ctx, head)
  const stage = p.onUpstreamResponseBody?.(ctx, head)
  if (stage === undefined) return { head, body, cacheKeys: ctx.cacheKeys }
  assert.equal(typeof stage, 'object')
  const out = await buffer(
    Readable.from([body.subarray(0, 10), body.subarray(10)]).pipe(stage as Transform),
  )
  return { head, body: out, cacheKeys: ctx.cacheKeys }
}

const PNG_HEAD = { 'content-type': 'image/png', 'content-length': String(png.length), etag: '"x"' }

test('image_optim converts a PNG to the first configured type the client accepts', async () => {
  const cases: Array<[string, string, 'webp' | 'avif', string]> = [
    ['webp,avif', 'image/avif,image/webp,*/*', 'webp', 'image/avif,image/webp'],
    ['avif,webp', 'image/avif,image/webp,*/*', 'avif', 'image/avif,image/webp'],
    ['avif, webp', 'image/webp', 'webp', 'image/webp'],
  ]
  for (const [outputs, accept, format, key] of cases) {
    const p = plugin({ category: 'image_optim', output_types: outputs, avif_speed: 10 })
    const res = await run(p, accept, PNG_HEAD, png)
    assert.equal(res.head.headers['content-type'], `image/${format}`, outputs)
    assert.equal(res.head.headers['content-length'], undefined)
    assert.equal(res.head.headers['etag'], undefined)
    assert.equal(res.head.headers['vary'], 'accept')
    assert.deepEqual(res.cacheKeys, [key])
    const meta = await sharp(res.body).metadata()
    assert.equal(meta.format, format === 'avif' ? 'heif' : 'webp')
    assert.deepEqual([meta.width, meta.height], [40, 30])
  }
})

test('image_optim leaves responses alone without Accept, for other types and non-200', async () => {
  const p = plugin({ category: 'image_optim', output_types: 'webp' })
  const none = await run(p, undefined, PNG_HEAD, png)
  assert.equal(none.head.headers['content-type'], 'image/png')
  assert.equal(none.head.headers['vary'], 'accept')
  assert.equal(none.cacheKeys, undefined)
  assert.ok(none.body.equals(png))
  const html = await run(p, 'image/webp', { 'content-type': 'text/html' }, Buffer.from('<p>'))
  assert.equal(html.head.headers['content-type'], 'text/html')
  assert.equal(html.head.headers['vary'], undefined)
  const partial = await run(p, 'image/webp', PNG_HEAD, png, 206)
  assert.equal(partial.head.headers['content-type'], 'image/png')
  const gzipped = await run(p, 'image/webp', { ...PNG_HEAD, 'content-encoding': 'gzip' }, png)
  assert.equal(gzipped.head.headers['content-type'], 'image/png')
})

test('image_optim passes the original bytes through when the image does not decode', async () => {
  const p = plugin({ category: 'image_optim', output_types: 'webp' })
  const broken = Buffer.from('not a png at all')
  const res = await run(p, 'image/webp', { 'content-type': 'image/png' }, broken)
  assert.ok(res.body.equals(broken))
})

test('image_optim with an Accept that lists no output type re-encodes in the same format, never larger', async () => {
  const p = plugin({ category: 'image_optim', output_types: 'webp' })
  const res = await run(p, '*/*', PNG_HEAD, png)
  assert.equal(res.head.headers['content-type'], 'image/png')
  assert.ok(res.body.length <= png.length)
  assert.equal((await sharp(res.body).metadata()).format, 'png')
})

test('image_optim config errors name the key', () => {
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ output_types: 'webp,gif' }, 'plugins.test.output_types'],
    [{ output_types: 'webp', png_quality: 0 }, 'plugins.test.png_quality'],
    [{ output_types: 'webp', jpeg_quality: 101 }, 'plugins.test.jpeg_quality'],
    [{ output_types: 'webp', avif_speed: 11 }, 'plugins.test.avif_speed'],
    [{ output_types: 'webp', quality: 50 }, 'plugins.test.quality'],
  ]
  for (const [raw, path] of bad) {
    assert.throws(
      () => plugin({ category: 'image_optim', ...raw }),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
