import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { test } from 'node:test'
import type { UpstreamConf } from '../../../../src/config/types.ts'
import { nextInterval, startHealthMonitor } from '../../../../src/upstream/health/monitor.ts'
import { createUpstream } from '../../../../src/upstream/upstream.ts'
import { eventually } from '../fixtures.ts'

async function healthServer(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

test('the monitor marks a backend down after 2 failures and up after 1 success', async () => {
  let status = 200
  let probes = 0
  const server = await healthServer((_req, res) => {
    probes++
    res.statusCode = status
    res.end()
  })
  const conf: UpstreamConf = {
    addrs: [`127.0.0.1:${server.port}`],
    health_check: 'http://health.test/ping?check_frequency=50ms',
  }
  const upstream = createUpstream('app', conf, {})
  const flips: Array<[string, boolean]> = []
  let failedAt = 0
  let flippedAt = 0
  const monitor = startHealthMonitor(upstream, conf, (address, healthy) => {
    flips.push([address, healthy])
    if (!healthy) flippedAt = probes
  })
  const backend = upstream.backends[0]!
  try {
    await eventually(() => assert.ok(probes >= 2))
    assert.equal(backend.healthy, true)
    status = 500
    failedAt = probes
    await eventually(() => assert.equal(backend.healthy, false))
    assert.ok(flippedAt - failedAt >= 2, `${flippedAt - failedAt} failed probes`)
    status = 200
    await eventually(() => assert.equal(backend.healthy, true))
    assert.deepEqual(flips, [
      [backend.address, false],
      [backend.address, true],
    ])
  } finally {
    monitor.stop()
    await upstream.close()
    await server.close()
  }
})

test('with no health_check, a closed port fails the TCP check at the first probe', async () => {
  const server = await healthServer((_req, res) => res.end())
  const port = server.port
  await server.close()
  const conf: UpstreamConf = { addrs: [`127.0.0.1:${port}`, '127.0.0.1:1'] }
  const upstream = createUpstream('app', conf, {})
  const monitor = startHealthMonitor(upstream, conf)
  try {
    await eventually(() =>
      assert.deepEqual(
        upstream.backends.map((b) => b.healthy),
        [false, false],
      ),
    )
  } finally {
    monitor.stop()
    await upstream.close()
  }
})

test('runs never overlap, even when a probe outlasts the interval', async () => {
  let inFlight = 0
  let maxInFlight = 0
  let probes = 0
  const server = await healthServer((_req, res) => {
    probes++
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    setTimeout(() => {
      inFlight--
      res.end()
    }, 60)
  })
  const conf: UpstreamConf = {
    addrs: [`127.0.0.1:${server.port}`],
    health_check: 'http://h/?check_frequency=5ms',
  }
  const upstream = createUpstream('app', conf, {})
  const monitor = startHealthMonitor(upstream, conf)
  try {
    await eventually(() => assert.ok(probes >= 4))
    assert.equal(maxInFlight, 1)
  } finally {
    monitor.stop()
    await upstream.close()
    await server.close()
  }
})

test('stop() aborts a probe in flight', async () => {
  const sockets: Socket[] = []
  const server = await healthServer((req) => sockets.push(req.socket))
  const conf: UpstreamConf = {
    addrs: [`127.0.0.1:${server.port}`],
    health_check: 'http://h/?read_timeout=60s',
  }
  const upstream = createUpstream('app', conf, {})
  const monitor = startHealthMonitor(upstream, conf)
  try {
    await eventually(() => assert.equal(sockets.length, 1))
    monitor.stop()
    await eventually(() => assert.equal(sockets[0]!.destroyed, true))
    assert.equal(upstream.backends[0]!.healthy, true)
  } finally {
    await upstream.close()
    await server.close()
  }
})

test('a transparent upstream is never checked', () => {
  const conf: UpstreamConf = { addrs: ['x'], discovery: 'transparent', health_check: 'http://h/' }
  const upstream = createUpstream('app', conf, {})
  const monitor = startHealthMonitor(upstream, conf)
  monitor.stop()
  assert.deepEqual(upstream.backends, [])
})

test('after the first run a monitor takes a random phase, then keeps it within 10 %', () => {
  // [run, random draw, expected wait] for a 10 s check_frequency.
  const cases: Array<[number, number, number]> = [
    [1, 0, 10_000],
    [1, 0.5, 7_500],
    [2, 0.5, 9_500],
    [7, 0, 10_000],
  ]
  for (const [run, draw, expected] of cases) {
    assert.equal(
      nextInterval(10_000, run, () => draw),
      expected,
    )
  }
})

test('monitors started together no longer probe together after their first run', async () => {
  const arrivals: number[] = []
  const server = await healthServer((_req, res) => {
    arrivals.push(performance.now())
    res.end()
  })
  const conf: UpstreamConf = {
    addrs: [`127.0.0.1:${server.port}`],
    health_check: 'http://h/?check_frequency=400ms',
  }
  const upstreams = Array.from({ length: 20 }, (_, i) => createUpstream(`u${i}`, conf, {}))
  const monitors = upstreams.map((u) => startHealthMonitor(u, conf))
  try {
    await eventually(() => assert.ok(arrivals.length >= 40), 5_000)
    const second = arrivals.slice(20, 40)
    // All 20 first probes land within a few ms; the second ones spread over ~200 ms.
    assert.ok(Math.max(...second) - Math.min(...second) > 50, `second runs: ${second.join(', ')}`)
  } finally {
    for (const m of monitors) m.stop()
    await Promise.all(upstreams.map((u) => u.close()))
    await server.close()
  }
})
