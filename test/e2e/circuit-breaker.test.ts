/**
 * Circuit breaker end to end (spec §3.6, documented intent): a backend that starts failing
 * trips, is skipped while open (503 without a connect attempt), and recovers through half-open
 * probes; a failure while half-open opens it again.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

describe('circuit breaker', () => {
  let upstream: TestUpstream
  let pingap: Pingap
  let base: string
  let failing = false

  before(async () => {
    upstream = await startUpstream((req, res) => {
      req.resume()
      res.statusCode = failing ? 500 : 200
      res.end(failing ? 'broken' : 'fine')
    })
    pingap = await startPingap(
      {
        'pingap.toml': `
[upstreams.flaky]
addrs = ["${upstream.addr}"]
circuit_break_max_consecutive_failures = 2
circuit_break_half_open_consecutive_success_threshold = 2
circuit_break_open_duration = "1s"

[locations.all]
upstream = "flaky"

[servers.web]
addr = "127.0.0.1:0"
locations = ["all"]
prometheus_metrics = "/metrics"
`,
      },
      { confPath: 'pingap.toml', waitFor: ['web'] },
    )
    base = pingap.servers.get('web') ?? ''
  })

  after(async () => {
    await pingap.stop()
    await upstream.close()
  })

  const states = (): string[] =>
    pingap.logs
      .filter((l) => l['msg'] === 'circuit breaker state changed')
      .map((l) => String(l['state']))

  test('trips on consecutive failures, recovers through half-open', async () => {
    assert.equal((await request(base, '/')).status, 200)
    failing = true
    assert.equal((await request(base, '/')).status, 500)
    assert.equal((await request(base, '/')).status, 500)
    await eventually(() => assert.deepEqual(states(), ['open']))

    const metrics = (await request(base, '/metrics')).body
    const labels = `upstream="flaky",backend="${upstream.addr}"`
    assert.match(
      metrics,
      new RegExp(`pingap_upstream_backend_circuit_state\\{[^}]*${labels}[^}]*\\} 1`),
    )
    assert.match(
      metrics,
      new RegExp(`pingap_upstream_backend_failure_rate\\{[^}]*${labels}[^}]*\\} 66\\.`),
    )

    const seen = upstream.seen.length
    const refused = await request(base, '/')
    assert.equal(refused.status, 503, 'an open breaker leaves no backend')
    assert.equal(upstream.seen.length, seen, 'no request reached the backend')

    failing = false
    // After open_duration the next request is a half-open probe.
    await eventually(async () => assert.equal((await request(base, '/')).status, 200), 5000)
    assert.deepEqual(states(), ['open', 'half_open'])
    assert.equal((await request(base, '/')).status, 200)
    await eventually(() => assert.deepEqual(states(), ['open', 'half_open', 'closed']))
    assert.equal((await request(base, '/')).status, 200)
  })

  test('a failed probe opens the breaker again', async () => {
    failing = true
    assert.equal((await request(base, '/')).status, 500)
    assert.equal((await request(base, '/')).status, 500)
    await eventually(() => assert.equal(states().at(-1), 'open'))
    // The first request that reaches the backend after open_duration is the probe; it fails.
    const seen = upstream.seen.length
    await eventually(async () => assert.equal((await request(base, '/')).status, 500), 5000)
    assert.equal(upstream.seen.length, seen + 1)
    await eventually(() => assert.deepEqual(states().slice(-3), ['open', 'half_open', 'open']))
    assert.equal((await request(base, '/')).status, 503)
  })
})
