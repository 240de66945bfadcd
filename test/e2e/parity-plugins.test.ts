/**
 * `geo_restriction` and `image_optim` end to end through the binary: a country decided from a
 * test database for a client IP given by a trusted proxy, and a PNG served by an upstream that
 * comes back as WebP to a client that accepts it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import sharp from 'sharp'
import { request, requestRaw } from '../helpers/http.ts'
import { buildMmdb } from '../helpers/mmdb.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

describe('geo_restriction and image_optim', () => {
  let upstream: TestUpstream
  let pingap: Pingap
  let base: string
  let png: Buffer
  const dir = mkdtempSync(join(tmpdir(), 'pgt-parity-'))

  before(async () => {
    png = await sharp({
      create: {
        width: 64,
        height: 48,
        channels: 4,
        background: { r: 10, g: 120, b: 200, alpha: 1 },
      },
    })
      .png()
      .toBuffer()
    const database = join(dir, 'country.mmdb')
    writeFileSync(
      database,
      buildMmdb({
        '127.0.0.0/8': { country: { iso_code: 'FR' } },
        '192.0.2.0/24': { country: { iso_code: 'DE' } },
        '198.51.100.0/24': { country: { iso_code: 'JP' } },
      }),
    )
    upstream = await startUpstream((req, res) => {
      req.resume()
      if (req.url === '/logo.png') {
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length })
        res.end(png)
        return
      }
      res.end('hello')
    })
    pingap = await startPingap(
      {
        'pingap.toml': `
[basic]
trusted_proxies = ["127.0.0.1"]

[upstreams.app]
addrs = ["${upstream.addr}"]

[plugins.no-de]
category = "geo_restriction"
type = "deny"
country_codes = ["DE"]
database = "${database}"

[plugins.only-fr-jp]
category = "geo_restriction"
type = "allow"
country_codes = ["FR JP"]
message = "members only"
database = "${database}"

[plugins.images]
category = "image_optim"
output_types = "avif,webp"

[locations.open]
path = "/open"
upstream = "app"
plugins = ["no-de"]

[locations.club]
path = "/club"
upstream = "app"
plugins = ["only-fr-jp"]

[locations.images]
path = "/logo.png"
upstream = "app"
plugins = ["images"]

[servers.web]
addr = "127.0.0.1:0"
locations = ["open", "club", "images"]
`,
      },
      { confPath: 'pingap.toml', waitFor: ['web'] },
    )
    base = pingap.servers.get('web') ?? ''
  })

  after(async () => {
    await pingap?.stop()
    await upstream?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('geo: the country of the client IP (socket or trusted X-Forwarded-For) decides', async () => {
    const from = (ip?: string) => (ip === undefined ? {} : { headers: { 'x-forwarded-for': ip } })
    const cases: Array<[string, string | undefined, number, string]> = [
      ['/open', undefined, 200, 'hello'], // 127.0.0.1 = FR
      ['/open', '192.0.2.9', 403, 'Access from your country is not allowed'], // DE denied
      ['/open', '198.51.100.1', 200, 'hello'],
      ['/open', '203.0.113.1', 200, 'hello'], // unknown: deny lets it through
      ['/club', undefined, 200, 'hello'],
      ['/club', '198.51.100.1', 200, 'hello'],
      ['/club', '192.0.2.9', 403, 'members only'],
      ['/club', '203.0.113.1', 403, 'members only'], // unknown: allow rejects it
    ]
    for (const [path, ip, status, body] of cases) {
      const res = await request(base, path, from(ip))
      assert.equal(res.status, status, `${path} from ${ip ?? 'socket'}`)
      assert.equal(res.body, body, `${path} from ${ip ?? 'socket'}`)
    }
  })

  test('image_optim: a PNG comes back as WebP with Accept: image/webp, and as is without', async () => {
    const webp = await requestRaw(base, '/logo.png', { headers: { accept: 'image/webp,*/*' } })
    assert.equal(webp.status, 200)
    assert.equal(webp.headers['content-type'], 'image/webp')
    assert.match(String(webp.headers['vary']), /accept/i)
    const meta = await sharp(webp.body).metadata()
    assert.equal(meta.format, 'webp')
    assert.deepEqual([meta.width, meta.height], [64, 48])

    const original = await requestRaw(base, '/logo.png')
    assert.equal(original.status, 200)
    assert.equal(original.headers['content-type'], 'image/png')
    assert.match(String(original.headers['vary']), /accept/i)
    assert.ok(original.body.equals(png), 'the original PNG bytes')
  })
})
