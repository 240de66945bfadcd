import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import { test } from 'node:test'
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { ConfigError } from '../../../../src/core/errors.ts'
import { applyBodyFilters } from '../../../../src/plugins/chains.ts'
import { MAX_BODY_BYTES } from '../../../../src/plugins/builtin/sub-filter.ts'
import type { Plugin } from '../../../../src/plugins/types.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { head, plugin } from './support.ts'

function filterBody(
  p: Plugin,
  status: number,
  headers: OutgoingHttpHeaders,
  chunks: Buffer[],
  path = '/x',
): { headers: OutgoingHttpHeaders; body: Buffer | undefined } {
  const ctx = fakeContext({ path })
  const h = head(status, { ...headers })
  void p.onResponse!(ctx, h)
  const filter = p.onResponseBody!(ctx, h)
  if (filter === undefined) return { headers: h.headers, body: undefined }
  assert.equal(typeof filter, 'function')
  const out: Buffer[] = []
  chunks.forEach((chunk, i) => {
    const got = applyBodyFilters([filter], chunk, i === chunks.length - 1)
    if (got !== null) out.push(got)
  })
  return { headers: h.headers, body: Buffer.concat(out) }
}

const sub = (extra: Record<string, unknown> = {}) =>
  plugin({ category: 'sub_filter', filters: ["sub_filter 'foo' 'bar' g"], ...extra })

test('sub_filter edits the whole body across chunks and drops Content-Length', () => {
  const out = filterBody(
    sub(),
    200,
    { 'content-type': 'text/html', 'content-length': '7', etag: '"e"' },
    [Buffer.from('fo'), Buffer.from('o f'), Buffer.from('oo')],
  )
  assert.equal(out.body?.toString(), 'bar bar')
  assert.equal(out.headers['content-length'], undefined)
  assert.equal(out.headers['etag'], 'W/"e"')
})

test('sub_filter honours status_codes and path', () => {
  const p = sub({ status_codes: '200,404', path: '^/app' })
  assert.equal(filterBody(p, 500, {}, [Buffer.from('foo')], '/app').body, undefined)
  assert.equal(filterBody(p, 200, {}, [Buffer.from('foo')], '/other').body, undefined)
  assert.equal(filterBody(p, 404, {}, [Buffer.from('foo')], '/app/x').body?.toString(), 'bar')
  const listed = sub({ status_codes: [200] })
  assert.equal(filterBody(listed, 200, {}, [Buffer.from('foo')]).body?.toString(), 'bar')
})

test('sub_filter decodes and re-encodes compressed bodies; unknown codings pass', () => {
  const gz = filterBody(sub(), 200, { 'content-encoding': 'gzip' }, [gzipSync('foo foo')])
  assert.equal(gz.headers['content-encoding'], 'gzip')
  assert.equal(gunzipSync(gz.body!).toString(), 'bar bar')
  const br = filterBody(sub(), 200, { 'content-encoding': 'br' }, [brotliCompressSync('foo')])
  assert.equal(brotliDecompressSync(br.body!).toString(), 'bar')
  const odd = filterBody(sub(), 200, { 'content-encoding': 'compress' }, [Buffer.from('foo')])
  assert.equal(odd.body, undefined)
  const broken = filterBody(sub(), 200, { 'content-encoding': 'gzip' }, [Buffer.from('foo')])
  assert.equal(broken.body?.toString(), 'foo')
})

test('sub_filter passes binary and oversized bodies through untouched', () => {
  const binary = Buffer.from([0x66, 0x6f, 0x6f, 0xff, 0xfe])
  assert.deepEqual(filterBody(sub(), 200, {}, [binary]).body, binary)
  const big = Buffer.alloc(MAX_BODY_BYTES / 2, 'foo')
  const out = filterBody(sub(), 200, {}, [big, big, Buffer.from('foo')])
  assert.equal(out.body?.length, MAX_BODY_BYTES + 3)
  assert.equal(out.body?.subarray(-3).toString(), 'foo')
  const declared = filterBody(sub(), 200, { 'content-length': String(MAX_BODY_BYTES + 1) }, [])
  assert.equal(declared.body, undefined)
  assert.equal(declared.headers['content-length'], String(MAX_BODY_BYTES + 1))
})

test('sub_filter refuses bad options with their paths', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ filters: ['nope'] }, 'plugins.test.filters[0]'],
    [{ filters: [], status_codes: 'abc' }, 'plugins.test.status_codes'],
    [{ filters: [], path: '(' }, 'plugins.test.path'],
    [{ filters: [], step: 'request' }, 'plugins.test.step'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'sub_filter', ...raw }),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      path,
    )
  }
})
