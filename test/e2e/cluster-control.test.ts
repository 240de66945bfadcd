/**
 * The cluster primary as the control plane (threads = 2, real binary): the admin server runs in
 * the primary and an edit through it reaches both workers; a metrics scrape on any worker shows
 * the sum over both workers. The stats plugin reports the pid of the worker that answered.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const AUTH = `Basic ${Buffer.from('admin:pw-cluster').toString('base64')}`

interface AdminRes {
  readonly status: number
  readonly etag: string | undefined
  readonly text: string
}

async function admin(
  base: string,
  path: string,
  method = 'GET',
  body?: unknown,
  etag?: string,
): Promise<AdminRes> {
  const headers: Record<string, string> = { authorization: AUTH }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (etag !== undefined) headers['if-match'] = etag
  const json = body === undefined ? {} : { body: JSON.stringify(body) }
  const res = await request(base, path, { method, headers, ...json })
  return { status: res.status, etag: res.headers.etag, text: res.body }
}

/** The pid in a stats plugin answer. */
function pidOf(body: string): number {
  const pid = (JSON.parse(body) as { pid?: unknown }).pid
  assert.equal(typeof pid, 'number', body)
  return pid as number
}

/** The value of one sample line of a text exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('threads = 2: admin server and metrics in the primary', () => {
  let app: TestUpstream
  let pingap: Pingap
  let web: string
  let adminBase: string
  let workerPids: number[]

  before(async () => {
    app = await startUpstream(undefined, 'app')
    pingap = await startPingap(
      {
        'basic.toml': '[basic]\nname = "cluster-control"\nthreads = 2\n',
        'servers.toml':
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["st", "load"]\n' +
          'prometheus_metrics = "/metrics"\n',
        'upstreams.toml': `[upstreams.app]\naddrs = ["${app.addr}"]\n`,
        'locations.toml':
          '[locations.st]\npath = "/st"\nupstream = "app"\nplugins = ["pidstats"]\n\n' +
          '[locations.load]\npath = "/load"\nupstream = "app"\n',
        'plugins.toml': '[plugins.pidstats]\ncategory = "stats"\npath = "/stats"\n',
      },
      {
        args: ['--admin', 'admin:pw-cluster@127.0.0.1:0'],
        waitFor: ['web', 'pingap:admin'],
      },
    )
    await pingap.waitForLog((l) => l['msg'] === 'pingap-ts started', 30_000)
    web = pingap.servers.get('web')!
    adminBase = pingap.servers.get('pingap:admin')!
    workerPids = pingap.logs.filter((l) => l['msg'] === 'worker ready').map((l) => Number(l['pid']))
    assert.equal(workerPids.length, 2)
  })

  after(async () => {
    await pingap.stop('SIGTERM')
    await app.close()
  })

  test('the admin server listens in the primary, not in a worker', () => {
    const line = pingap.logs.find((l) => l['msg'] === 'listening' && l['server'] === 'pingap:admin')
    assert.ok(line !== undefined)
    assert.equal(pingap.logs.filter((l) => l['server'] === 'pingap:admin').length, 1)
    assert.ok(!pingap.logs.some((l) => String(l['msg']).includes('does not run with threads')))
  })

  test('an edit through the admin API reaches both workers', async () => {
    const status = await admin(adminBase, '/api/v1/config/status')
    assert.equal(status.status, 200, status.text)
    // Before the edit: /stats answers (from either worker), /stats2 goes to the upstream.
    assert.equal(pidOf((await request(web, '/stats')).body) > 0, true)
    assert.equal((await request(web, '/stats2')).body, 'app GET /stats2')
    const item = await admin(adminBase, '/api/v1/config/plugins/pidstats')
    assert.equal(item.status, 200, item.text)
    const edit = await admin(
      adminBase,
      '/api/v1/config/plugins/pidstats',
      'PATCH',
      { path: '/stats2' },
      item.etag,
    )
    assert.equal(edit.status, 200, edit.text)
    assert.equal((JSON.parse(edit.text) as { status?: string }).status, 'applied')
    // The answer comes once every worker applied the version: no request sees the old one.
    const seen = new Set<number>()
    await eventually(async () => {
      const res = await request(web, '/stats2')
      assert.equal(res.status, 200)
      seen.add(pidOf(res.body))
      assert.equal((await request(web, '/stats')).body, 'app GET /stats')
      assert.deepEqual([...seen].sort(), [...workerPids].sort())
    }, 20_000)
  })

  test('a scrape on either worker shows the requests of both workers summed', async () => {
    const series = 'pingap_http_requests_total{server="web",location="st"}'
    const first = await request(web, '/metrics')
    assert.equal(first.status, 200, first.body)
    const before = sample(first.body, series) ?? 0
    const perPid = new Map<number, number>()
    const N = 60
    for (let i = 0; i < N; i++) {
      const pid = pidOf((await request(web, '/stats2')).body)
      perPid.set(pid, (perPid.get(pid) ?? 0) + 1)
    }
    // Fresh connections spread over both workers; keep going until each served one at least.
    let extra = 0
    await eventually(async () => {
      if (perPid.size < 2) {
        const pid = pidOf((await request(web, '/stats2')).body)
        perPid.set(pid, (perPid.get(pid) ?? 0) + 1)
        extra++
      }
      assert.equal(perPid.size, 2)
    }, 20_000)
    for (let i = 0; i < 6; i++) {
      const scrape = await request(web, '/metrics')
      assert.equal(scrape.status, 200)
      assert.equal(sample(scrape.body, series), before + N + extra, 'summed over both workers')
    }
  })
})
