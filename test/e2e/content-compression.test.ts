/**
 * `compression` and `sub_filter` through the real binary: downstream encoding with q-values,
 * Vary and the edge cases of hostile-catalogue I6; upstream mode in front of the cache; spec
 * §14 item 48 and substitutions in compressed bodies; `-t` on a zstd level.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import * as zlib from 'node:zlib'
import { requestRaw, type RawTestResponse } from '../helpers/http.ts'
import { runPingap, startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const TEXT = '<p>pingap-ts compresses text</p>\n'.repeat(120)

/** One request with a binary-safe body. */
function fetchRaw(
  base: string,
  path: string,
  headers: OutgoingHttpHeaders,
  method = 'GET',
): Promise<RawTestResponse> {
  return requestRaw(base, path, { headers, method })
}

function originHandler(counts: Map<string, number>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume()
    const path = req.url ?? ''
    counts.set(path, (counts.get(path) ?? 0) + 1)
    const send = (headers: OutgoingHttpHeaders, body: Buffer | string, status = 200): void => {
      const data = Buffer.from(body)
      res.writeHead(status, { 'content-length': data.length, ...headers })
      res.end(req.method === 'HEAD' ? undefined : data)
    }
    switch (path) {
      case '/png':
        return send({ 'content-type': 'image/png' }, Buffer.alloc(4000, 1))
      case '/br':
        return send(
          { 'content-type': 'text/html', 'content-encoding': 'br' },
          zlib.brotliCompressSync(TEXT),
        )
      case '/nothing':
        res.writeHead(204)
        res.end()
        return
      case '/foo':
        return send({ 'content-type': 'text/plain' }, 'foo foo')
      case '/gzfoo':
        return send(
          { 'content-type': 'text/plain', 'content-encoding': 'gzip' },
          zlib.gzipSync('foo foo foo'),
        )
      case '/cached':
        return send({ 'content-type': 'text/html', 'cache-control': 'max-age=60' }, TEXT)
      default:
        return send({ 'content-type': 'text/html; charset=utf-8' }, TEXT)
    }
  }
}

describe('compression and sub_filter', () => {
  const counts = new Map<string, number>()
  let up: TestUpstream
  let pingap: Pingap
  let web: string

  before(async () => {
    up = await startUpstream(originHandler(counts), 'origin')
    pingap = await startPingap(
      {
        'pingap.toml': `
[servers.web]
addr = "127.0.0.1:0"
locations = ["down", "upstreamMode", "sub", "subplain"]

[upstreams.origin]
addrs = ["${up.addr}"]

[locations.down]
host = "down.test"
upstream = "origin"
plugins = ["pingap:compression"]

[locations.upstreamMode]
host = "up.test"
upstream = "origin"
plugins = ["pingap:compressionUpstream", "cache"]

[locations.sub]
host = "sub.test"
upstream = "origin"
plugins = ["rebrand", "pingap:compression"]

[locations.subplain]
host = "plain.test"
upstream = "origin"
plugins = ["rebrand"]

[plugins.cache]
category = "cache"
directory = "memory://?max_size=16mb"
namespace = "compressed"

[plugins.rebrand]
category = "sub_filter"
filters = ["sub_filter 'foo' 'bar' g", "subs_filter 'pingap-ts (\\\\w+)' 'proxy $1' g"]
`,
      },
      { waitFor: ['web'] },
    )
    web = pingap.servers.get('web')!
  })

  after(async () => {
    await pingap.stop()
    await up.close()
  })

  const down = (path: string, headers: OutgoingHttpHeaders = {}, method = 'GET') =>
    fetchRaw(web, path, { host: 'down.test', ...headers }, method)

  test('downstream: gzip and br by priority and q-values, with Vary and no Content-Length', async () => {
    const gz = await down('/page', { 'accept-encoding': 'gzip' })
    assert.equal(gz.headers['content-encoding'], 'gzip')
    assert.equal(gz.headers['vary'], 'Accept-Encoding')
    assert.equal(gz.headers['content-length'], undefined)
    assert.equal(gz.headers['transfer-encoding'], 'chunked')
    assert.equal(zlib.gunzipSync(gz.body).toString(), TEXT)
    const br = await down('/page', { 'accept-encoding': 'gzip, deflate, br' })
    assert.equal(br.headers['content-encoding'], 'br')
    assert.equal(zlib.brotliDecompressSync(br.body).toString(), TEXT)
    const refused = await down('/page', { 'accept-encoding': 'br;q=0, gzip' })
    assert.equal(refused.headers['content-encoding'], 'gzip')
    const none = await down('/page')
    assert.equal(none.headers['content-encoding'], undefined)
    assert.equal(none.headers['vary'], 'Accept-Encoding')
    assert.equal(none.body.toString(), TEXT)
  })

  test('I6: HEAD, 204, binary, already encoded and ranged responses are not (re)compressed', async () => {
    const head = await down('/page', { 'accept-encoding': 'gzip' }, 'HEAD')
    assert.equal(head.headers['content-encoding'], 'gzip')
    assert.equal(head.body.length, 0)
    const nothing = await down('/nothing', { 'accept-encoding': 'gzip' })
    assert.equal(nothing.status, 204)
    assert.equal(nothing.headers['content-encoding'], undefined)
    const png = await down('/png', { 'accept-encoding': 'gzip' })
    assert.equal(png.headers['content-encoding'], undefined)
    assert.equal(png.body.length, 4000)
    const br = await down('/br', { 'accept-encoding': 'gzip, br' })
    assert.equal(br.headers['content-encoding'], 'br')
    assert.equal(zlib.brotliDecompressSync(br.body).toString(), TEXT)
    const ranged = await down('/page', { 'accept-encoding': 'gzip', range: 'bytes=0-10' })
    assert.equal(ranged.headers['content-encoding'], undefined)
  })

  test('upstream mode keys the cache by coding: each coding is stored once and hits decode', async () => {
    const get = (encoding: string) =>
      fetchRaw(web, '/cached', { host: 'up.test', 'accept-encoding': encoding })
    const gz1 = await get('gzip')
    const gz2 = await get('gzip')
    const br1 = await get('br')
    const br2 = await get('br')
    assert.deepEqual(
      [gz1, gz2, br1, br2].map((r) => [r.headers['x-cache-status'], r.headers['content-encoding']]),
      [
        ['miss', 'gzip'],
        ['hit', 'gzip'],
        ['miss', 'br'],
        ['hit', 'br'],
      ],
    )
    assert.equal(zlib.gunzipSync(gz2.body).toString(), TEXT)
    assert.equal(zlib.brotliDecompressSync(br2.body).toString(), TEXT)
    assert.equal(counts.get('/cached'), 2)
  })

  test('§14.48: sub_filter turns "foo foo" into "bar bar", sent without Content-Length', async () => {
    const res = await fetchRaw(web, '/foo', { host: 'plain.test' })
    assert.equal(res.body.toString(), 'bar bar')
    assert.equal(res.headers['content-length'], undefined)
    assert.equal(res.headers['transfer-encoding'], 'chunked')
  })

  test('sub_filter edits compressed bodies, and compression runs after it', async () => {
    const gz = await fetchRaw(web, '/gzfoo', { host: 'plain.test', 'accept-encoding': 'gzip' })
    assert.equal(gz.headers['content-encoding'], 'gzip')
    assert.equal(zlib.gunzipSync(gz.body).toString(), 'bar bar bar')
    const both = await fetchRaw(web, '/page', { host: 'sub.test', 'accept-encoding': 'gzip' })
    assert.equal(both.headers['content-encoding'], 'gzip')
    assert.equal(
      zlib.gunzipSync(both.body).toString(),
      TEXT.replaceAll('pingap-ts compresses', 'proxy compresses'),
    )
  })
})

test('-t accepts zstd_level and says when this Node cannot use it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-zstd-'))
  try {
    const file = join(dir, 'pingap.toml')
    writeFileSync(file, '[plugins.z]\ncategory = "compression"\nzstd_level = 3\ngzip_level = 6\n')
    const out = await runPingap(['-t', '-c', file])
    assert.equal(out.code, 0, out.stderr)
    const hasZstd =
      typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function'
    if (hasZstd) assert.doesNotMatch(out.stderr, /zstd is not available/)
    else assert.match(out.stderr, /zstd is not available in this Node\.js; zstd_level is ignored/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
