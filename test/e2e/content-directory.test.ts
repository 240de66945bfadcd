/**
 * The `directory` plugin through the real binary: spec §14 item 51, every row of
 * hostile-catalogue group G aimed at a static root, ranges and validators on streamed files,
 * and a 500 MB file to a slow reader with the proxy's memory bounded.
 */
import assert from 'node:assert/strict'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'

const SECRET = 'TOP-SECRET-CONTENT'
const BIG = 500 * 1024 * 1024
const RSS_LIMIT = 150 * 1024 * 1024

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
}

/** Reads a response slowly (pausing now and then), sampling the proxy's RSS. */
function slowDownload(
  base: URL,
  path: string,
  pid: number,
): Promise<{ bytes: number; peak: number }> {
  return new Promise((resolve, reject) => {
    let peak = rssOf(pid)
    const timer = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50)
    const req = httpRequest({ host: base.hostname, port: base.port, path }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => {
        bytes += c.length
        if (bytes % (8 * 1024 * 1024) < c.length) {
          res.pause()
          setTimeout(() => res.resume(), 5)
        }
      })
      res.on('end', () => {
        clearInterval(timer)
        resolve({ bytes, peak: Math.max(peak, rssOf(pid)) })
      })
      res.on('error', reject)
    })
    req.on('error', (err) => {
      clearInterval(timer)
      reject(err)
    })
    req.end()
  })
}

describe('directory plugin', () => {
  let base: string
  let root: string
  let pingap: Pingap
  let web: string

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'pingap-content-'))
    root = join(base, 'www')
    for (const d of ['admin', 'docs', '.git', '.well-known/acme-challenge', 'listing']) {
      mkdirSync(join(root, d), { recursive: true })
    }
    mkdirSync(join(base, 'outside'))
    writeFileSync(join(root, 'index.html'), '<h1>home</h1>')
    writeFileSync(join(root, 'a.txt'), '0123456789abcdef')
    writeFileSync(join(root, 'admin', 'secret.txt'), SECRET)
    writeFileSync(join(root, '.env'), SECRET)
    writeFileSync(join(root, '.git', 'config'), SECRET)
    writeFileSync(join(root, '.well-known', 'acme-challenge', 'tok'), 'token')
    writeFileSync(join(root, 'listing', '<img src=x onerror=alert(1)>.txt'), 'x')
    writeFileSync(join(root, 'listing', '.hidden'), 'x')
    writeFileSync(join(root, 'mid.bin'), Buffer.alloc(3 * 1024 * 1024, 'm'))
    writeFileSync(join(base, 'outside', 'secret.txt'), SECRET)
    symlinkSync(join(base, 'outside'), join(root, 'link'))
    writeFileSync(join(root, 'huge.bin'), '')
    truncateSync(join(root, 'huge.bin'), BIG) // sparse: created at once, reads as zeros
    pingap = await startPingap(
      {
        'pingap.toml': `
[servers.web]
addr = "127.0.0.1:0"
locations = ["admin", "root", "listing"]

[locations.admin]
path = "/admin"
plugins = ["denyAll", "site"]

[locations.root]
path = "/"
plugins = ["site"]

[locations.listing]
path = "/listing"
plugins = ["listing"]

[plugins.denyAll]
category = "ip_restriction"
type = "deny"
ip_list = ["127.0.0.1"]

[plugins.site]
category = "directory"
path = ${JSON.stringify(root)}
follow_symlinks = false
max_age = "1h"

[plugins.listing]
category = "directory"
path = ${JSON.stringify(root)}
autoindex = true
`,
      },
      { waitFor: ['web'] },
    )
    web = pingap.servers.get('web')!
  })

  after(async () => {
    await pingap.stop()
    rmSync(base, { recursive: true, force: true })
  })

  test('§14.51: file, missing file, traversal, range and unsatisfiable range', async () => {
    const ok = await request(web, '/a.txt')
    assert.equal(ok.status, 200)
    assert.equal(ok.body, '0123456789abcdef')
    assert.equal(ok.headers['accept-ranges'], 'bytes')
    assert.match(ok.headers['etag'] ?? '', /^W\/"/)
    assert.equal(ok.headers['content-type'], 'text/plain')
    assert.equal(ok.headers['cache-control'], 'public, max-age=3600')
    const missing = await request(web, '/missing.txt')
    assert.equal(missing.status, 404)
    assert.equal(missing.body, 'Not Found')
    const up = await request(web, '/../etc/passwd')
    assert.equal(up.status, 403)
    assert.doesNotMatch(up.body, /root:/)
    const part = await request(web, '/a.txt', { headers: { range: 'bytes=0-9' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers['content-range'], 'bytes 0-9/16')
    assert.equal(part.body, '0123456789')
    const past = await request(web, '/a.txt', { headers: { range: 'bytes=16-' } })
    assert.equal(past.status, 416)
    assert.equal(past.headers['content-range'], 'bytes */16')
  })

  test('validators, HEAD and ranges of a streamed file', async () => {
    const full = await request(web, '/mid.bin', { method: 'HEAD' })
    assert.equal(full.status, 200)
    assert.equal(full.headers['content-length'], String(3 * 1024 * 1024))
    assert.equal(full.body, '')
    const etag = full.headers['etag']!
    const again = await request(web, '/mid.bin', { headers: { 'if-none-match': etag } })
    assert.equal(again.status, 304)
    assert.equal(again.body, '')
    const lastModified = full.headers['last-modified']!
    const since = await request(web, '/mid.bin', { headers: { 'if-modified-since': lastModified } })
    assert.equal(since.status, 304)
    const tail = await request(web, '/mid.bin', { headers: { range: 'bytes=-100' } })
    assert.equal(tail.status, 206)
    assert.equal(
      tail.headers['content-range'],
      `bytes ${3 * 1024 * 1024 - 100}-${3 * 1024 * 1024 - 1}/${3 * 1024 * 1024}`,
    )
    assert.equal(tail.body, 'm'.repeat(100))
    const index = await request(web, '/')
    assert.equal(index.body, '<h1>home</h1>')
    assert.equal(index.headers['cache-control'], 'private, no-cache')
  })

  test('autoindex escapes names and hides dotfiles', async () => {
    const res = await request(web, '/listing/')
    assert.equal(res.status, 200)
    assert.match(res.body, /&lt;img src=x onerror=alert\(1\)&gt;\.txt/)
    assert.doesNotMatch(res.body, /<img/)
    assert.doesNotMatch(res.body, /\.hidden/)
  })

  test('G1: no spelling of /admin reaches the files behind the rule', async () => {
    for (const v of [
      '/admin/secret.txt',
      '//admin/secret.txt',
      '/%61dmin/secret.txt',
      '/ADMIN/secret.txt',
      '/./admin/secret.txt',
      '/x/../admin/secret.txt',
      '/x/%2e%2e/admin/secret.txt',
      '/admin%2fsecret.txt',
      '/admin;x/secret.txt',
      '/admin%00/secret.txt',
      '/a\\..\\admin\\secret.txt',
      '/%252e%252e/admin/secret.txt',
    ]) {
      const res = await request(web, v)
      assert.ok([400, 403, 404].includes(res.status), `${v}: ${res.status}`)
      assert.ok(!res.body.includes(SECRET), `${v} leaked the file`)
    }
  })

  test('G2–G4, G7: traversal, encoded traversal, NUL and backslashes never leave the root', async () => {
    for (const v of [
      '/static/../../../../etc/passwd',
      '/..%2f..%2fetc/passwd',
      '/%2e%2e%2f%2e%2e%2fetc/passwd',
      '/..%5c..%5cetc/passwd',
      '/%252e%252e%252fetc/passwd',
      '/%c0%ae%c0%ae/etc/passwd',
      '/a.txt%00.png',
      '/static/..\\..\\etc\\passwd',
      '/..\\..\\outside\\secret.txt',
    ]) {
      const res = await request(web, v)
      assert.ok([400, 403, 404].includes(res.status), `${v}: ${res.status}`)
      assert.doesNotMatch(res.body, /root:|TOP-SECRET/, v)
    }
  })

  test('G5, G6, G9: symlink escapes, dotfiles and token-path tricks', async () => {
    const link = await request(web, '/link/secret.txt')
    assert.ok([403, 404].includes(link.status), String(link.status))
    assert.ok(!link.body.includes(SECRET))
    for (const v of ['/.env', '/.git/config', '/%2egit/config']) {
      const res = await request(web, v)
      assert.equal(res.status, 404, v)
    }
    assert.equal((await request(web, '/.well-known/acme-challenge/tok')).body, 'token')
    const trick = await request(web, '/.well-known/acme-challenge/..%2f..%2fa.txt')
    assert.equal(trick.status, 404)
  })

  test('G8: a file that shrinks while it is sent cuts the connection', async () => {
    const path = join(root, 'shrink.bin')
    writeFileSync(path, Buffer.alloc(32 * 1024 * 1024, 's'))
    const url = new URL(web)
    const outcome = await new Promise<{ bytes: number; complete: boolean }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: '/shrink.bin' },
        (res) => {
          let bytes = 0
          let shrunk = false
          res.on('data', (c: Buffer) => {
            bytes += c.length
            if (!shrunk) {
              shrunk = true
              truncateSync(path, 1024)
            }
          })
          res.on('end', () => resolve({ bytes, complete: res.complete }))
          res.on('error', () => resolve({ bytes, complete: false }))
          res.on('aborted', () => resolve({ bytes, complete: false }))
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.equal(outcome.complete, false)
    assert.ok(outcome.bytes < 32 * 1024 * 1024)
    await eventually(async () => assert.equal((await request(web, '/a.txt')).status, 200))
  })

  test('a 500 MB file streams to a slow reader with the proxy under 150 MB', async (t) => {
    const { bytes, peak } = await slowDownload(new URL(web), '/huge.bin', pingap.child.pid!)
    t.diagnostic(`proxy RSS peak ${Math.round(peak / 1048576)} MB`)
    assert.equal(bytes, BIG)
    assert.ok(peak < RSS_LIMIT, `proxy RSS peaked at ${Math.round(peak / 1048576)} MB`)
  })
})
