/**
 * The cluster process model (threads = 2) against the real binary: it serves, 100 reloads and a
 * rolling restart under load fail no request, a worker killed with SIGKILL costs only its
 * in-flight requests and is replaced, and SIGTERM drains every worker and exits 0.
 */
import assert from 'node:assert/strict'
import { createServer, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startLoad } from '../helpers/load.ts'
import { runPingap, startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.ts'

type Line = Record<string, unknown>

const locations = (version: number): string =>
  '[locations.load]\npath = "/load"\nupstream = "app"\n\n' +
  `[locations.probe]\npath = "/probe"\nupstream = "app"\nproxy_set_headers = ["X-Version: ${version}"]\n\n` +
  '[locations.slow]\npath = "/slow"\nupstream = "slow"\n'

/** Pids of the workers that reported ready after log line `from`. */
function readyPids(pingap: Pingap, from = 0): number[] {
  return pingap.logs
    .slice(from)
    .filter((l) => l['msg'] === 'worker ready')
    .map((l) => Number(l['pid']))
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits for a log line after index `from` (lines before it are ignored). */
function waitAfter(pingap: Pingap, from: number, match: (l: Line) => boolean, timeoutMs = 30_000) {
  return pingap.waitForLog((l) => pingap.logs.indexOf(l) >= from && match(l), timeoutMs)
}

describe('threads = 2', () => {
  let app: TestUpstream
  let slow: TestUpstream
  const held: ServerResponse[] = []
  let pingap: Pingap
  let web: string
  let hook: WebhookReceiver

  before(async () => {
    hook = await startWebhookReceiver()
    app = await startUpstream(undefined, 'app')
    slow = await startUpstream((req, res) => {
      req.resume()
      held.push(res) // answered when the test says so, never after a fixed delay
    }, 'slow')
    pingap = await startPingap(
      {
        'basic.toml':
          '[basic]\nname = "cluster-test"\nthreads = 2\ngrace_period = "30s"\n' +
          `webhook = "${hook.url}"\nwebhook_notifications = ["restart", "restart_fail"]\n`,
        'servers.toml':
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["load", "probe", "slow"]\n',
        'upstreams.toml':
          `[upstreams.app]\naddrs = ["${app.addr}"]\n\n` +
          `[upstreams.slow]\naddrs = ["${slow.addr}"]\n`,
        'locations.toml': locations(0),
      },
      { waitFor: ['web'] },
    )
    await pingap.waitForLog((l) => l['msg'] === 'pingap-ts started', 30_000)
    web = pingap.servers.get('web')!
  })

  after(async () => {
    for (const res of held) res.end('late')
    await pingap.stop('SIGKILL')
    await app.close()
    await slow.close()
    await hook.close()
  })

  test('the primary forks two workers that serve, and serves nothing itself', async () => {
    const started = pingap.logs.find((l) => l['msg'] === 'pingap-ts started')!
    assert.equal(started['workers'], 2)
    const pids = readyPids(pingap)
    assert.equal(pids.length, 2)
    assert.ok(!pids.includes(pingap.child.pid!))
    const listening = pingap.logs.filter((l) => l['msg'] === 'listening')
    assert.equal(listening.length, 2, 'each worker opens the listener, the primary does not')
    assert.equal(new Set(listening.map((l) => l['addr'])).size, 1, 'one shared address')
    for (let i = 0; i < 10; i++) {
      const res = await request(web, `/load/${i}`)
      assert.equal(res.status, 200)
      assert.equal(res.body, `app GET /load/${i}`)
    }
  })

  test('100 reloads under load fail no request, and each one reaches every worker', async () => {
    const load = startLoad(web, '/load', 8)
    try {
      for (let version = 1; version <= 100; version++) {
        const from = pingap.logs.length
        pingap.writeConf('locations.toml', locations(version))
        pingap.child.kill('SIGHUP')
        await waitAfter(pingap, from, (l) => l['msg'] === 'config applied')
      }
    } finally {
      const result = await load.stop()
      assert.deepEqual(result.failures, [])
      assert.ok(result.total > 200, `only ${result.total} requests were sent`)
    }
    // `config applied` is logged once every worker applied it: any connection sees version 100.
    for (let i = 0; i < 6; i++) {
      await request(web, '/probe')
      assert.equal(app.seen.at(-1)?.headers['x-version'], '100')
    }
  })

  test('a rolling restart (SIGUSR2) under load fails no request and replaces every worker', async () => {
    const before = readyPids(pingap)
    const from = pingap.logs.length
    const load = startLoad(web, '/load', 8)
    try {
      pingap.child.kill('SIGUSR2')
      await waitAfter(pingap, from, (l) => l['msg'] === 'rolling restart done', 60_000)
    } finally {
      const result = await load.stop()
      assert.deepEqual(result.failures, [])
      assert.ok(result.total > 50, `only ${result.total} requests were sent`)
    }
    const fresh = readyPids(pingap, from)
    assert.equal(fresh.length, 2)
    for (const pid of fresh) assert.ok(!before.includes(pid))
    await eventually(() => assert.ok(before.every((pid) => !alive(pid))))
    assert.equal((await request(web, '/load')).status, 200)
    // The operator hears about it once, from the primary (workers send no notification).
    const sent = await eventually(() => {
      assert.equal(hook.received.length, 1, JSON.stringify(hook.received))
      return hook.received[0]
    })
    assert.equal(sent?.category, 'restart')
    assert.equal(sent?.level, 'info')
    assert.equal(sent?.message, 'rolling restart done: 2 workers replaced one at a time')
  })

  test('SIGKILL of a worker under load fails only its in-flight requests; it is replaced', async () => {
    const [victim, survivor] = readyPids(pingap).filter(alive).slice(-2)
    assert.ok(victim !== undefined && survivor !== undefined)
    const concurrency = 8
    const load = startLoad(web, '/load', concurrency)
    await eventually(() => assert.ok(app.seen.length > 0))
    const from = pingap.logs.length
    process.kill(victim, 'SIGKILL')
    // New connections are served at once, without waiting for the replacement.
    for (let i = 0; i < 20; i++) {
      const res = await request(web, `/load/fresh-${i}`)
      assert.equal(res.status, 200)
    }
    const replaced = await waitAfter(pingap, from, (l) => l['msg'] === 'worker ready')
    const result = await load.stop()
    assert.ok(
      result.failures.length <= concurrency,
      `more failures than requests in flight: ${JSON.stringify(result.failures)}`,
    )
    assert.ok(result.total > result.failures.length)
    assert.notEqual(replaced['pid'], victim)
    assert.ok(alive(survivor))
    assert.equal((await request(web, '/load')).status, 200)
  })

  test('health verdicts of the primary reach every worker, both ways', async () => {
    const port = await closedPort()
    const from = pingap.logs.length
    pingap.writeConf(
      'upstreams.toml',
      `[upstreams.app]\naddrs = ["${app.addr}"]\n\n` +
        `[upstreams.slow]\naddrs = ["${slow.addr}"]\n\n` +
        `[upstreams.flaky]\naddrs = ["127.0.0.1:${port}"]\n` +
        'health_check = "tcp://flaky?check_frequency=100ms&failure=1&success=1"\n',
    )
    pingap.writeConf(
      'locations.toml',
      locations(100) + '\n[locations.flaky]\npath = "/flaky"\nupstream = "flaky"\n',
    )
    pingap.writeConf(
      'servers.toml',
      '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["load", "probe", "slow", "flaky"]\n',
    )
    pingap.child.kill('SIGHUP')
    await waitAfter(pingap, from, (l) => l['msg'] === 'config applied')
    // Unhealthy: every worker answers 503 without trying to connect (decisions §2).
    await eventually(async () => {
      for (let i = 0; i < 6; i++) assert.equal((await request(web, '/flaky')).status, 503)
    })
    const server = createServer((req, res) => res.end('flaky is back'))
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    try {
      await eventually(async () => {
        for (let i = 0; i < 6; i++) assert.equal((await request(web, '/flaky')).status, 200)
      })
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })

  test('a version the workers cannot apply is reported, and the old listener keeps serving', async () => {
    const blocker = createNetServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const taken = (blocker.address() as AddressInfo).port
    const from = pingap.logs.length
    try {
      pingap.writeConf(
        'servers.toml',
        `[servers.web]\naddr = "127.0.0.1:0,127.0.0.1:${taken}"\nlocations = ["load", "probe", "slow"]\n`,
      )
      pingap.child.kill('SIGHUP')
      // The primary validates without listening; only the workers meet the busy port.
      const rejected = await waitAfter(
        pingap,
        from,
        (l) => l['level'] === 'error' && String(l['error']).includes('was rejected by worker'),
      )
      assert.match(String(rejected['error']), /EADDRINUSE/)
      assert.equal((await request(web, '/load')).status, 200)
    } finally {
      blocker.close()
    }
  })

  test('SIGTERM drains every worker (in-flight requests finish) and exits 0', async () => {
    const workers = readyPids(pingap).filter(alive)
    assert.equal(workers.length, 2)
    const inflight = request(web, '/slow')
    await eventually(() => assert.equal(held.length, 1))
    const from = pingap.logs.length
    pingap.child.kill('SIGTERM')
    await eventually(() => {
      const draining = pingap.logs.slice(from).filter((l) => l['msg'] === 'draining')
      assert.equal(draining.length, 2)
    })
    held[0]!.end('finished')
    const res = await inflight
    assert.equal(res.status, 200)
    assert.equal(res.body, 'finished')
    assert.equal(await pingap.exited, 0)
    for (const pid of workers) assert.ok(!alive(pid), `worker ${pid} outlived the primary`)
  })
})

describe('--threads', () => {
  test('--threads 2 runs two workers; a bad value is a usage error', async () => {
    const up = await startUpstream(undefined, 'up')
    const pingap = await startPingap(
      {
        'pingap.toml':
          `[upstreams.up]\naddrs = ["${up.addr}"]\n[locations.all]\nupstream = "up"\n` +
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
      },
      { args: ['--threads', '2'], confPath: 'pingap.toml', waitFor: ['web'] },
    )
    try {
      const started = await pingap.waitForLog((l) => l['msg'] === 'pingap-ts started', 30_000)
      assert.equal(started['workers'], 2)
      assert.equal((await request(pingap.servers.get('web')!, '/x')).body, 'up GET /x')
    } finally {
      assert.equal(await pingap.stop(), 0)
      await up.close()
    }
    const bad = await runPingap(['--threads', 'many'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--threads must be a non-negative integer/)
  })
})

describe('Pushgateway with threads = 2', () => {
  test('the primary pushes the sum over every worker once per interval', async () => {
    const up = await startUpstream(undefined, 'up')
    type Pushed = { at: number; body: string }
    const pushes: Pushed[] = []
    const gateway = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        pushes.push({ at: Date.now(), body })
        res.statusCode = 202
        res.end()
      })
    }).listen(0, '127.0.0.1')
    await new Promise((r) => gateway.once('listening', r))
    const gatewayPort = (gateway.address() as AddressInfo).port
    const pingap = await startPingap(
      {
        'pingap.toml':
          '[basic]\nthreads = 2\n' +
          `[upstreams.up]\naddrs = ["${up.addr}"]\n[locations.all]\nupstream = "up"\n` +
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n' +
          `prometheus_metrics = "http://127.0.0.1:${gatewayPort}/metrics/job/pingap?interval=1s"\n`,
      },
      { confPath: 'pingap.toml', waitFor: ['web'] },
    )
    const total = 'pingap_http_requests_total{server="web",location="all"} 20'
    try {
      const web = pingap.servers.get('web')!
      for (let i = 0; i < 20; i++) {
        const res = await request(web, `/x${i}`, { headers: { connection: 'close' } })
        assert.equal(res.status, 200)
      }
      const withTotal = () => pushes.filter((p) => p.body.includes(total))
      await eventually(
        () => assert.ok(withTotal().length >= 4, `${withTotal().length} pushes with the total`),
        15_000,
      )
      const [first, , , fourth] = withTotal() as [Pushed, Pushed, Pushed, Pushed]
      // One pusher at 1 s: the fourth push comes ~3 s after the first (three pushing processes
      // sent four within about a second).
      assert.ok(fourth.at - first.at >= 2_000, `4 pushes in ${fourth.at - first.at} ms`)
      const since = pushes.filter((p) => p.at >= first.at)
      for (const p of since) assert.ok(p.body.includes(total), 'a push without the workers sum')
    } finally {
      assert.equal(await pingap.stop(), 0)
      await up.close()
      await new Promise((r) => gateway.close(r))
    }
  })
})
