/**
 * The `admin` plugin on a proxy location (spec §5.4, §7): the admin API and UI under the
 * location's prefix on the proxy port, with the plugin's own users and lock-out; paths outside
 * the prefix still reach the upstream.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const USER = 'ops'
const PASSWORD = 'correct horse'
const BASIC = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`

describe('admin plugin on a location', () => {
  let upstream: TestUpstream
  let pingap: Pingap
  let base: string

  before(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume()
      res.end(`upstream ${req.url ?? ''}`)
    })
    pingap = await startPingap(
      {
        'pingap.toml': `
[upstreams.app]
addrs = ["${upstream.addr}"]

[plugins.console]
category = "admin"
path = "/pingap/"
authorizations = ["${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}"]
ip_fail_limit = 3

[locations.admin]
path = "/pingap"
upstream = "app"
plugins = ["console"]

[locations.app]
upstream = "app"

[servers.web]
addr = "127.0.0.1:0"
locations = ["admin", "app"]
`,
      },
      { confPath: 'pingap.toml', waitFor: ['web'] },
    )
    base = pingap.servers.get('web') ?? ''
  })

  after(async () => {
    await pingap?.stop()
    await upstream?.close()
  })

  test('the prefix redirects, the UI is public, the API needs the plugin user', async () => {
    const bare = await request(base, '/pingap?x=1')
    assert.equal(bare.status, 307)
    assert.equal(bare.headers.location, '/pingap/?x=1')
    const ui = await request(base, '/pingap/')
    assert.equal(ui.status, 200)
    assert.match(String(ui.headers['content-type']), /text\/html/)

    const anonymous = await request(base, '/pingap/api/v1/config')
    assert.equal(anonymous.status, 401)

    const config = await request(base, '/pingap/api/v1/config', {
      headers: { authorization: BASIC },
    })
    assert.equal(config.status, 200, config.body)
    assert.match(String(config.headers['content-type']), /json/)
    assert.ok(config.body.includes(upstream.addr), 'the config names the upstream address')
    assert.ok(config.body.includes('console'), 'the config names the admin plugin')

    // Pingap's signed form: hex(sha256("user:pass:ts")):ts
    const ts = Math.floor(Date.now() / 1000)
    const token = createHash('sha256').update(`${USER}:${PASSWORD}:${ts}`).digest('hex')
    const signed = await request(base, '/pingap/api/v1/status', {
      headers: { authorization: `${token}:${ts}` },
    })
    assert.equal(signed.status, 200, signed.body)
  })

  test('paths outside the prefix reach the upstream', async () => {
    const res = await request(base, '/pingapx/y')
    assert.equal(res.status, 200)
    assert.equal(res.body, 'upstream /pingapx/y')
    assert.equal((await request(base, '/other')).body, 'upstream /other')
  })

  test('after ip_fail_limit wrong credentials the client IP gets 403 (last: it locks 127.0.0.1)', async () => {
    const wrong = {
      headers: { authorization: `Basic ${Buffer.from(`${USER}:nope`).toString('base64')}` },
    }
    for (let i = 0; i < 3; i++) {
      assert.equal((await request(base, '/pingap/api/v1/config', wrong)).status, 401)
    }
    const locked = await request(base, '/pingap/api/v1/config', {
      headers: { authorization: BASIC },
    })
    assert.equal(locked.status, 403)
    assert.match(locked.body, /too many failures/)
  })
})
