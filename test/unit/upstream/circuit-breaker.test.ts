import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { UpstreamConf } from '../../../src/config/types.ts'
import { ConfigError } from '../../../src/core/errors.ts'
import { BackendStats, failureStatus } from '../../../src/upstream/backend-stats.ts'
import {
  breakerSettings,
  CircuitBreaker,
  type BreakerState,
} from '../../../src/upstream/circuit-breaker.ts'

const conf = (extra: Partial<UpstreamConf>): UpstreamConf => ({ addrs: ['127.0.0.1:1'], ...extra })

function breaker(extra: Partial<UpstreamConf>): { b: CircuitBreaker; changes: BreakerState[] } {
  const settings = breakerSettings(conf(extra), 'up')
  assert.ok(settings !== undefined)
  const changes: BreakerState[] = []
  return { b: new CircuitBreaker(settings, (s) => changes.push(s)), changes }
}

describe('backend stats', () => {
  test('failure statuses: default any 5xx, or the configured list', () => {
    const cases: Array<[string | undefined, number, boolean]> = [
      [undefined, 500, true],
      [undefined, 503, true],
      [undefined, 404, false],
      ['', 502, true],
      ['502, 504', 502, true],
      ['502, 504', 500, false],
      ['429', 429, true],
    ]
    for (const [codes, status, failed] of cases) {
      const spec = codes === undefined ? {} : { backend_failure_status_code: codes }
      assert.equal(failureStatus(conf(spec), 'up')(status), failed, `${codes} ${status}`)
    }
  })

  test('a bad status list is a config error naming the key', () => {
    assert.throws(
      () => failureStatus(conf({ backend_failure_status_code: '5xx' }), 'up'),
      (err: unknown) =>
        err instanceof ConfigError && err.path === 'upstreams.up.backend_failure_status_code',
    )
  })

  test('the sliding window forgets old windows', () => {
    const stats = new BackendStats(1000)
    for (let i = 0; i < 4; i++) stats.record(i % 2 === 0, 100)
    assert.equal(stats.requests(100), 4)
    assert.equal(stats.failurePercent(100), 50)
    // Half-way through the next window half of the previous one still counts.
    assert.equal(stats.requests(1500), 2)
    assert.equal(stats.requests(5000), 0)
    assert.equal(stats.failurePercent(5000), 0)
  })

  test('consecutive runs', () => {
    const stats = new BackendStats(1000)
    stats.record(true, 0)
    stats.record(true, 0)
    assert.equal(stats.consecutiveFailures, 2)
    stats.record(false, 0)
    assert.equal(stats.consecutiveFailures, 0)
    assert.equal(stats.consecutiveSuccesses, 1)
  })
})

describe('circuit breaker', () => {
  test('no settings without stats or a breaker', () => {
    assert.equal(breakerSettings(conf({}), 'up'), undefined)
    assert.ok(breakerSettings(conf({ enable_backend_stats: true }), 'up') !== undefined)
  })

  test('consecutive failures open it; after open_duration probes close it', () => {
    const { b, changes } = breaker({
      circuit_break_max_consecutive_failures: 3,
      circuit_break_half_open_consecutive_success_threshold: 2,
      circuit_break_open_duration: '1s',
    })
    b.report(500, 0)
    b.report(500, 0)
    assert.equal(b.state(0), 'closed')
    b.report(0, 0) // a connect failure counts
    assert.equal(b.state(10), 'open')
    assert.equal(b.admits(999), false)
    assert.equal(b.admits(1000), true)
    assert.equal(b.state(1000), 'half_open')
    b.picked(1000)
    b.picked(1000)
    assert.equal(b.admits(1000), false, 'only two probes')
    b.report(200, 1001)
    assert.equal(b.state(1001), 'half_open')
    b.report(200, 1002)
    assert.equal(b.state(1002), 'closed')
    assert.deepEqual(changes, ['open', 'half_open', 'closed'])
  })

  test('a failure in half-open opens it again', () => {
    const { b } = breaker({
      circuit_break_max_consecutive_failures: 1,
      circuit_break_open_duration: '1s',
    })
    b.report(502, 0)
    assert.equal(b.state(1000), 'half_open')
    b.picked(1000)
    b.report(502, 1000)
    assert.equal(b.state(1500), 'open')
    assert.equal(b.state(2000), 'half_open')
  })

  test('the failure rate trips only after min_requests', () => {
    const { b } = breaker({
      circuit_break_max_failure_percent: 50,
      circuit_break_min_requests_threshold: 4,
    })
    b.report(500, 0)
    b.report(200, 0)
    b.report(500, 0)
    assert.equal(b.state(0), 'closed', 'three requests')
    b.report(500, 0)
    assert.equal(b.state(0), 'open')
  })

  test('stats only: never trips', () => {
    const { b } = breaker({ enable_backend_stats: true })
    for (let i = 0; i < 50; i++) b.report(500, 0)
    assert.equal(b.state(0), 'closed')
    assert.equal(b.stats.failurePercent(0), 100)
  })
})
