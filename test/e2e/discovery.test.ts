/**
 * Service discovery against the real binary: `discovery = "dns"` through a DNS server started
 * by the test (`dns_server`) whose answers change, and `discovery = "docker"` through a fake
 * Docker Engine API on a unix socket (`DOCKER_HOST`) where containers appear and disappear.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startDnsStub, type DnsStub } from '../helpers/dns-server.ts'
import { startDockerEngine, type FakeDockerEngine } from '../helpers/docker-engine.ts'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

/** The backend list the proxy logged last for `upstream`. */
function lastBackends(pingap: Pingap, upstream: string): unknown {
  const lines = pingap.logs.filter(
    (l) => l['msg'] === 'backends changed' && l['upstream'] === upstream,
  )
  return lines.at(-1)?.['backends']
}

describe('dns discovery follows the answers of dns_server', () => {
  let dns: DnsStub
  let app: TestUpstream
  let pingap: Pingap
  let web: string

  before(async () => {
    dns = await startDnsStub()
    app = await startUpstream(undefined, 'app')
    // Nothing listens on 127.0.0.2: while DNS points there, requests fail to connect.
    dns.records.set('app.test', { ips: ['127.0.0.2'], ttl: 1 })
    pingap = await startPingap(
      {
        'pingap.toml':
          `[upstreams.app]\naddrs = ["app.test:${app.port}"]\ndiscovery = "dns"\n` +
          `dns_server = "${dns.server}"\nupdate_frequency = "1s"\n` +
          '[locations.all]\nupstream = "app"\n' +
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
      },
      { confPath: 'pingap.toml', waitFor: ['web'] },
    )
    web = pingap.servers.get('web')!
  })

  after(async () => {
    await pingap.stop()
    await app.close()
    await dns.close()
  })

  test('a changed answer moves the traffic; a failed lookup keeps the last backends', async () => {
    await eventually(() => assert.deepEqual(lastBackends(pingap, 'app'), [`127.0.0.2:${app.port}`]))
    assert.ok((await request(web, '/x')).status >= 500)
    dns.records.set('app.test', { ips: ['127.0.0.1'], ttl: 1 })
    await eventually(async () => assert.equal((await request(web, '/x')).body, 'app GET /x'))
    assert.deepEqual(lastBackends(pingap, 'app'), [`127.0.0.1:${app.port}`])
    // NXDOMAIN from now on: the proxy keeps serving from the last answer.
    dns.records.delete('app.test')
    const queries = dns.queries
    await eventually(() => assert.ok(dns.queries > queries + 2), 15_000)
    assert.equal((await request(web, '/y')).body, 'app GET /y')
    await pingap.waitForLog((l) => l['msg'] === 'dns resolution failed, keeping the last addresses')
  })
})

describe('docker discovery follows containers through the Docker Engine API', () => {
  let engine: FakeDockerEngine
  let one: TestUpstream
  let two: TestUpstream
  let pingap: Pingap
  let web: string

  before(async () => {
    engine = await startDockerEngine()
    one = await startUpstream(undefined, 'one')
    two = await startUpstream(undefined, 'two')
    pingap = await startPingap(
      {
        'pingap.toml':
          // An hour between listings: only the engine's events can explain a quick change.
          '[upstreams.app]\naddrs = ["com.example.service=web"]\ndiscovery = "docker"\n' +
          'update_frequency = "1h"\n' +
          '[locations.all]\nupstream = "app"\n' +
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
      },
      { confPath: 'pingap.toml', waitFor: ['web'], env: { DOCKER_HOST: engine.host } },
    )
    web = pingap.servers.get('web')!
  })

  after(async () => {
    await pingap.stop()
    await one.close()
    await two.close()
    await engine.close()
  })

  const bodies = async (n: number): Promise<Set<string>> => {
    const seen = new Set<string>()
    for (let i = 0; i < n; i++) seen.add((await request(web, '/c')).body)
    return seen
  }

  test('containers appear and disappear; an engine outage keeps the last set', async () => {
    await eventually(() => assert.equal(engine.streams, 1))
    assert.equal((await request(web, '/c')).status, 503, 'no container yet')
    const label = { 'com.example.service': 'web' }
    engine.add({ id: 'c1', name: 'web-1', labels: label, ip: '127.0.0.1', privatePort: one.port })
    await eventually(async () => assert.deepEqual(await bodies(2), new Set(['one GET /c'])))
    engine.add({ id: 'c2', name: 'web-2', labels: label, ip: '127.0.0.1', privatePort: two.port })
    // An unrelated container is never a backend.
    engine.add({
      id: 'db',
      name: 'db',
      labels: { 'com.example.service': 'db' },
      ip: '127.0.0.1',
      privatePort: 1,
    })
    await eventually(async () =>
      assert.deepEqual(await bodies(4), new Set(['one GET /c', 'two GET /c'])),
    )
    engine.remove('c1')
    await eventually(async () => assert.deepEqual(await bodies(4), new Set(['two GET /c'])))
    await engine.close()
    assert.deepEqual(await bodies(4), new Set(['two GET /c']))
  })
})
