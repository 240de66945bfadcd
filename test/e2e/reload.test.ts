/**
 * Hot reload under load: each config category is edited while clients hammer the proxy, and
 * not one request may fail; a broken edit keeps the old config serving.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startLoad } from '../helpers/load.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const servers = (locations: string[], extra = ''): string =>
  `[servers.web]\naddr = "127.0.0.1:0"\nlocations = ${JSON.stringify(locations)}\n${extra}`

describe('reload while a load generator runs', () => {
  let a: TestUpstream
  let b: TestUpstream
  let pingap: Pingap
  let web: string

  before(async () => {
    a = await startUpstream(undefined, 'a')
    b = await startUpstream(undefined, 'b')
    pingap = await startPingap(
      {
        'basic.toml': '[basic]\nname = "reload-test"\n',
        'servers.toml': servers(['load', 'probe']),
        'upstreams.toml': `[upstreams.app]\naddrs = ["${a.addr}"]\n`,
        'locations.toml':
          '[locations.load]\npath = "/load"\nupstream = "app"\n\n' +
          '[locations.probe]\npath = "/probe"\nupstream = "app"\n',
        'plugins.toml': '[plugins.hello]\ncategory = "mock"\ndata = "v1"\n',
        'storages.toml':
          '[storages.common]\ncategory = "config"\nvalue = "client_max_body_size = \\"1mb\\""\n',
      },
      { args: ['--autoreload'], waitFor: ['web'] },
    )
    web = pingap.servers.get('web')!
  })

  after(async () => {
    await pingap.stop()
    await a.close()
    await b.close()
  })

  test('every category reloads with zero failed requests', async () => {
    const load = startLoad(web, '/load', 8)
    try {
      // upstreams: the backend moves from a to b.
      pingap.writeConf('upstreams.toml', `[upstreams.app]\naddrs = ["${b.addr}"]\n`)
      await eventually(async () => assert.match((await request(web, '/probe')).body, /^b GET/))

      // plugins + locations: a new location answered by a changed plugin.
      pingap.writeConf('plugins.toml', '[plugins.hello]\ncategory = "mock"\ndata = "v2"\n')
      pingap.writeConf(
        'locations.toml',
        '[locations.load]\npath = "/load"\nupstream = "app"\n\n' +
          '[locations.probe]\npath = "/probe"\nupstream = "app"\nproxy_set_headers = ["X-Probe: 2"]\n\n' +
          '[locations.hello]\npath = "/hello"\nplugins = ["hello"]\n',
      )
      // servers: the server lists the new location.
      pingap.writeConf('servers.toml', servers(['load', 'probe', 'hello']))
      await eventually(async () => assert.equal((await request(web, '/hello')).body, 'v2'))
      await eventually(async () => {
        await request(web, '/probe')
        assert.equal(b.seen.at(-1)?.headers['x-probe'], '2')
      })

      // basic: a new error template shows on a 404.
      pingap.writeConf('basic.toml', '[basic]\nerror_template = "{\\"e\\":\\"{{error_type}}\\"}"\n')
      await eventually(async () =>
        assert.equal((await request(web, '/nowhere')).body, '{"e":"NoLocation"}'),
      )

      // storages: an included fragment changes a location's body limit.
      pingap.writeConf(
        'storages.toml',
        '[storages.common]\ncategory = "config"\nvalue = "client_max_body_size = \\"5\\""\n',
      )
      pingap.writeConf(
        'locations.toml',
        '[locations.load]\npath = "/load"\nupstream = "app"\n\n' +
          '[locations.probe]\npath = "/probe"\nupstream = "app"\nincludes = ["common"]\n\n' +
          '[locations.hello]\npath = "/hello"\nplugins = ["hello"]\n',
      )
      await eventually(async () =>
        assert.equal(
          (await request(web, '/probe', { method: 'POST', body: '0123456789' })).status,
          413,
        ),
      )
    } finally {
      const result = await load.stop()
      assert.ok(result.total > 100, `only ${result.total} requests were sent`)
      assert.deepEqual(result.failures, [])
    }
  })

  test('a broken edit keeps the old config serving and names file and key', async () => {
    const before = await request(web, '/probe')
    assert.equal(before.status, 200)
    const logsBefore = pingap.logs.length
    pingap.writeConf(
      'locations.toml',
      '[locations.load]\npath = "/load"\nupstrem = "app"\n\n[locations.probe]\npath = "/probe"\nupstream = "app"\n',
    )
    const line = await pingap.waitForLog(
      (l) =>
        pingap.logs.indexOf(l) >= logsBefore &&
        l['level'] === 'error' &&
        String(l['error']).includes('upstrem'),
    )
    assert.match(String(line['error']), /locations\.toml/)
    assert.match(String(line['error']), /locations\.load\.upstrem/)
    assert.match(String(line['error']), /did you mean/)
    assert.equal((await request(web, '/load')).status, 200)
    assert.equal((await request(web, '/hello')).body, 'v2')
  })

  test('SIGHUP reloads even without file events', async () => {
    pingap.writeConf(
      'locations.toml',
      '[locations.load]\npath = "/load"\nupstream = "app"\n\n' +
        '[locations.probe]\npath = "/probe"\nupstream = "app"\n\n' +
        '[locations.hello]\npath = "/hello"\nplugins = ["hello"]\n\n' +
        '[locations.sighup]\npath = "/sighup"\nplugins = ["hello"]\n',
    )
    pingap.writeConf('servers.toml', servers(['load', 'probe', 'hello', 'sighup']))
    pingap.child.kill('SIGHUP')
    await eventually(async () => assert.equal((await request(web, '/sighup')).body, 'v2'))
  })
})

describe('a changed server address', () => {
  test('opens the new listener and closes the old one', async () => {
    const up = await startUpstream(undefined, 'up')
    const pingap = await startPingap(
      {
        'servers.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
        'locations.toml': '[locations.all]\nupstream = "app"\n',
        'upstreams.toml': `[upstreams.app]\naddrs = ["${up.addr}"]\n`,
      },
      { args: ['--autoreload'], waitFor: ['web'] },
    )
    try {
      const first = pingap.servers.get('web')!
      assert.equal((await request(first, '/x')).status, 200)
      const port = await closedPort()
      pingap.writeConf(
        'servers.toml',
        `[servers.web]\naddr = "127.0.0.1:${port}"\nlocations = ["all"]\n`,
      )
      await eventually(() => assert.equal(pingap.servers.get('web'), `http://127.0.0.1:${port}`))
      assert.equal((await request(`http://127.0.0.1:${port}`, '/x')).status, 200)
      await eventually(async () => {
        await assert.rejects(request(first, '/x'))
      })
    } finally {
      await pingap.stop()
      await up.close()
    }
  })
})
