import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { RequestContext } from '../../../../src/core/context.ts'
import { ConfigError } from '../../../../src/core/errors.ts'
import type { HttpResponse } from '../../../../src/core/http-response.ts'
import { eventually } from '../../../helpers/eventually.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

let base: string
let root: string

before(() => {
  base = mkdtempSync(join(tmpdir(), 'pingap-dir-'))
  root = join(base, 'www')
  mkdirSync(join(root, 'sub'), { recursive: true })
  mkdirSync(join(root, 'docs'))
  mkdirSync(join(base, 'outside'))
  writeFileSync(join(root, 'index.html'), '<h1>home</h1>')
  writeFileSync(join(root, 'a.txt'), 'hello world')
  writeFileSync(join(root, 'app.js'), 'let x = 1')
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(10_000, 7))
  writeFileSync(join(root, '.env'), 'SECRET=1')
  writeFileSync(join(root, 'docs', 'index.html'), 'docs')
  writeFileSync(join(root, 'sub', '<b>&.txt'), 'x')
  writeFileSync(join(base, 'outside', 'secret.txt'), 'secret')
  symlinkSync(join(base, 'outside'), join(root, 'link'))
})

after(() => rmSync(base, { recursive: true, force: true }))

function ctx(path: string, headers: Record<string, string> = {}, method = 'GET'): RequestContext {
  return fakeContext({ path, method, headers, req: { url: path } as IncomingMessage })
}

async function read(res: HttpResponse | undefined): Promise<string> {
  if (res?.stream === undefined) return text(res) ?? ''
  const chunks: Buffer[] = []
  for await (const chunk of res.stream()) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

const files = (extra: Record<string, unknown> = {}) =>
  plugin({ category: 'directory', path: root, ...extra })

test('directory serves a file with type, weak ETag, Last-Modified and Accept-Ranges', async () => {
  const res = await request(files(), ctx('/a.txt'))
  assert.equal(res?.status, 200)
  assert.equal(text(res), 'hello world')
  assert.equal(res?.headers['content-type'], 'text/plain')
  assert.match(String(res?.headers['etag']), /^W\/"b-[0-9a-f]+"$/)
  assert.equal(res?.headers['accept-ranges'], 'bytes')
  assert.ok(res?.headers['last-modified'])
  assert.equal(res?.maxAge, undefined)
})

test('directory: charset, max_age (not for HTML), private, download and headers', async () => {
  const p = files({
    charset: 'utf-8',
    max_age: '1h',
    private: true,
    download: true,
    headers: ['X-Static: 1'],
  })
  const js = await request(p, ctx('/a.txt'))
  assert.equal(js?.headers['content-type'], 'text/plain; charset=utf-8')
  assert.equal(js?.maxAge, 3600)
  assert.equal(js?.private, true)
  assert.equal(js?.headers['content-disposition'], 'attachment; filename="a.txt"')
  assert.equal(js?.headers['x-static'], '1')
  const html = await request(p, ctx('/index.html'))
  assert.equal(html?.maxAge, undefined)
})

test('directory answers / with the index, and /docs with a redirect then its index', async () => {
  assert.equal(text(await request(files(), ctx('/'))), '<h1>home</h1>')
  const redirect = await request(files(), ctx('/docs'))
  assert.equal(redirect?.status, 301)
  assert.equal(redirect?.headers['location'], '/docs/')
  assert.equal(text(await request(files(), ctx('/docs/'))), 'docs')
  assert.equal((await request(files(), ctx('/sub/')))?.status, 404)
})

test('directory autoindex lists entries, hides dotfiles and escapes names', async () => {
  const root = await request(files({ autoindex: true }), ctx('/'))
  const html = text(root) ?? ''
  assert.equal(root?.headers['content-type'], 'text/html; charset=utf-8')
  assert.match(html, /href="a\.txt"/)
  assert.doesNotMatch(html, /\.env/)
  const sub = text(await request(files({ autoindex: true }), ctx('/sub/'))) ?? ''
  assert.match(sub, /&lt;b&gt;&amp;\.txt/)
  assert.match(sub, /href="%3Cb%3E%26\.txt"/)
  assert.doesNotMatch(sub, /<b>/)
})

test('directory: 404 for missing files, dotfiles and encoded separators; 403 above the root', async () => {
  for (const path of ['/missing.txt', '/.env', '/a.txt/x', '/..%2Fetc/passwd', '/a.txt%00']) {
    const res = await request(files(), ctx(path))
    assert.equal(res?.status, 404, path)
    assert.equal(text(res), 'Not Found')
  }
  const up = await request(files(), {
    ...ctx('/etc/passwd'),
    req: { url: '/../etc/passwd' } as IncomingMessage,
  })
  assert.equal(up?.status, 403)
  assert.match(text(up) ?? '', /^You do not have permission to access this resource/)
})

test('directory follows symlinks by default, and refuses escapes with follow_symlinks = false', async () => {
  assert.equal(text(await request(files(), ctx('/link/secret.txt'))), 'secret')
  const strict = files({ follow_symlinks: false })
  assert.equal((await request(strict, ctx('/link/secret.txt')))?.status, 403)
  assert.equal(text(await request(strict, ctx('/a.txt'))), 'hello world')
})

test('directory: conditional GET, ranges, 416 and HEAD', async () => {
  const first = await request(files(), ctx('/a.txt'))
  const etag = String(first?.headers['etag'])
  assert.equal((await request(files(), ctx('/a.txt', { 'if-none-match': etag })))?.status, 304)
  const lm = String(first?.headers['last-modified'])
  assert.equal((await request(files(), ctx('/a.txt', { 'if-modified-since': lm })))?.status, 304)
  const part = await request(files(), ctx('/a.txt', { range: 'bytes=0-4' }))
  assert.equal(part?.status, 206)
  assert.equal(part?.headers['content-range'], 'bytes 0-4/11')
  assert.equal(text(part), 'hello')
  const bad = await request(files(), ctx('/a.txt', { range: 'bytes=11-' }))
  assert.equal(bad?.status, 416)
  assert.equal(bad?.headers['content-range'], 'bytes */11')
  const head = await request(files(), ctx('/a.txt', {}, 'HEAD'))
  assert.equal(head?.status, 200)
  assert.equal(head?.length ?? head?.body.length, 11)
  const post = await request(files(), ctx('/a.txt', {}, 'POST'))
  assert.equal(post?.status, 405)
})

test('directory streams files larger than chunk_size, ranges included', async () => {
  const whole = await request(files(), ctx('/big.bin'))
  assert.equal(whole?.length, 10_000)
  assert.equal((await read(whole)).length, 10_000)
  const tail = await request(files(), ctx('/big.bin', { range: 'bytes=5000-' }))
  assert.equal(tail?.status, 206)
  assert.equal(tail?.length, 5000)
  assert.equal(tail?.headers['content-range'], 'bytes 5000-9999/10000')
  assert.equal((await read(tail)).length, 5000)
})

test('directory refuses bad options with their paths', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, 'plugins.test.path'],
    [{ path: root, chunk_size: 'lots' }, 'plugins.test.chunk_size'],
    [{ path: root, index: '../x' }, 'plugins.test.index'],
    [{ path: root, max_age: 'soon' }, 'plugins.test.max_age'],
    [{ path: root, headers: ['nocolon'] }, 'plugins.test.headers[0]'],
    [{ path: root, autoindx: true }, 'plugins.test.autoindx'],
    [{ path: root, step: 'response' }, 'plugins.test.step'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'directory', ...raw }),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      path,
    )
  }
})

test('directory keeps small files for a second, and sees new files at once', async () => {
  const p = files()
  writeFileSync(join(root, 'fresh.txt'), 'one')
  assert.equal(text(await request(p, ctx('/fresh.txt'))), 'one')
  writeFileSync(join(root, 'fresh.txt'), 'two')
  assert.equal(text(await request(p, ctx('/fresh.txt'))), 'one')
  await eventually(async () => assert.equal(text(await request(p, ctx('/fresh.txt'))), 'two'))
  assert.equal((await request(p, ctx('/later.txt')))?.status, 404)
  writeFileSync(join(root, 'later.txt'), 'now')
  assert.equal(text(await request(p, ctx('/later.txt'))), 'now')
})

test('directory answers a plain GET of a kept file with one prebuilt response, headers final', async () => {
  const p = files({ max_age: '1m', headers: ['Cache-Control: no-transform'] })
  const first = await request(p, ctx('/app.js'))
  const second = await request(p, ctx('/app.js'))
  assert.equal(second, first, 'the same response object answers every plain GET')
  assert.equal(first?.headers['content-length'], 'let x = 1'.length)
  // As the proxy's merge for plugin responses: the file's own headers win.
  assert.equal(first?.headers['cache-control'], 'no-transform')
  assert.equal(first?.maxAge, 60)
  const plain = await request(files(), ctx('/a.txt'))
  assert.equal(plain?.headers['cache-control'], 'private, no-cache')
  // Validators and ranges still get their own answers.
  const etag = String(first?.headers['etag'])
  const revalidated = await request(p, ctx('/app.js', { 'if-none-match': etag }))
  assert.equal(revalidated?.status, 304)
  assert.equal(revalidated?.headers['etag'], etag)
  assert.equal(revalidated?.headers['cache-control'], 'no-transform')
  assert.equal(await request(p, ctx('/app.js', { 'if-none-match': etag })), revalidated)
  const part = await request(p, ctx('/app.js', { range: 'bytes=0-2' }))
  assert.equal(part?.status, 206)
  assert.equal(text(part), 'let')
  assert.equal(part?.headers['content-length'], undefined)
})
