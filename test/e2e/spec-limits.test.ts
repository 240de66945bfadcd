/**
 * Spec §14 items 17–24 against the real binary: body size and concurrency limits, upstream
 * errors (refused, read timeout, no healthy backend, unknown `$var` upstream), the JSON error
 * template and retries. Statuses follow decisions §2 (504 for upstream timeouts).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import type { TestResponse } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import {
  closeAll,
  get,
  heldUpstream,
  tables,
  webServer,
  type HeldUpstream,
} from '../helpers/spec.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

// A check that probes but cannot mark a backend down during a test: the immediate first run
// of the default check would otherwise turn a refused connect into a 503 before we look.
const NEVER_DOWN = 'tcp://probe?check_frequency=1h&failure=1000'

/** Asserts the common shape of a pingap-ts error answer. */
function assertError(res: TestResponse, status: number, etype: string): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.body}`)
  assert.equal(res.headers['x-pingap-etype'], etype)
  assert.equal(res.headers['cache-control'], 'private, no-store')
}

describe('spec §14.17–22, 24: limits and upstream errors', () => {
  let pingap: Pingap
  let base: string
  let echo: TestUpstream
  let live: TestUpstream
  let slow: HeldUpstream
  let silent: HeldUpstream
  let deadPort: number

  before(async () => {
    echo = await startUpstream(undefined, 'echo')
    live = await startUpstream(undefined, 'live')
    slow = await heldUpstream('slow')
    silent = await heldUpstream('silent')
    deadPort = await closedPort()
    const dead = `127.0.0.1:${deadPort}`
    const locations = {
      l17: { host: 'l17.test', client_max_body_size: '10', upstream: 'echo' },
      l19: { host: 'l19.test', max_processing: 1, upstream: 'slow' },
      l20: { host: 'l20.test', upstream: 'refused' },
      l21: { host: 'l21.test', upstream: 'silent' },
      l22: { host: 'l22.test', upstream: 'unhealthy' },
      'l22-dyn': { host: '~^(?<up>[a-z]+)\\.dyn\\.test$', upstream: '$up' },
      l24: { host: 'l24.test', max_retries: 2, upstream: 'half' },
      'l24-control': { host: 'l24c.test', upstream: 'half' },
    }
    const upstreams = {
      echo: { addrs: [echo.addr] },
      slow: { addrs: [slow.upstream.addr] },
      refused: { addrs: [dead], health_check: NEVER_DOWN },
      silent: { addrs: [silent.upstream.addr], read_timeout: '1s' },
      unhealthy: { addrs: [dead], health_check: 'tcp://probe?check_frequency=100ms&failure=1' },
      half: { addrs: [dead, live.addr], health_check: NEVER_DOWN },
    }
    pingap = await startPingap(
      {
        'servers.toml': webServer(Object.keys(locations)),
        'locations.toml': tables('locations', locations),
        'upstreams.toml': tables('upstreams', upstreams),
      },
      { waitFor: ['web'] },
    )
    base = pingap.servers.get('web') ?? ''
  })
  after(async () => {
    slow?.release()
    silent?.release()
    await pingap?.stop()
    await closeAll([echo, live, slow?.upstream, silent?.upstream].filter((u) => u !== undefined))
  })

  test('§14.17 a Content-Length over client_max_body_size is 413 before the upstream', async () => {
    const body = 'x'.repeat(20)
    const res = await get(base, 'l17.test', '/up', { method: 'POST', body })
    assertError(res, 413, 'HTTPStatus')
    assert.equal(echo.seen.length, 0, 'the upstream saw the oversized request')
    const small = await get(base, 'l17.test', '/up', { method: 'POST', body: 'x'.repeat(10) })
    assert.equal(small.status, 200)
    assert.equal(small.body, 'echo POST /up')
  })

  test('§14.18 a chunked body over client_max_body_size is 413', async () => {
    const chunked = { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }
    const res = await get(base, 'l17.test', '/chunked', { ...chunked, body: 'y'.repeat(20) })
    assertError(res, 413, 'HTTPStatus')
    const small = await get(base, 'l17.test', '/chunked', { ...chunked, body: 'y'.repeat(8) })
    assert.equal(small.status, 200)
    assert.equal(small.body, 'echo POST /chunked')
  })

  test('§14.19 max_processing = 1: a second concurrent request is 429', async () => {
    const first = get(base, 'l19.test', '/first')
    await eventually(() => assert.equal(slow.upstream.seen.length, 1))
    const second = await get(base, 'l19.test', '/second')
    assertError(second, 429, 'HTTPStatus')
    slow.release()
    const done = await first
    assert.equal(done.status, 200)
    assert.equal(done.body, 'slow GET /first')
    assert.deepEqual(
      slow.upstream.seen.map((s) => s.url),
      ['/first'],
    )
    // The slot is free again once the first request ended.
    assert.equal((await get(base, 'l19.test', '/third')).status, 200)
  })

  test('§14.20 a refused upstream connect is 502 ConnectRefused and closes', async () => {
    const res = await get(base, 'l20.test', '/')
    assertError(res, 502, 'ConnectRefused')
    assert.equal(res.headers['connection'], 'close')
  })

  test('§14.21 read_timeout = 1s on a backend that never answers is 504 ReadTimedout', async () => {
    const res = await get(base, 'l21.test', '/wait')
    assertError(res, 504, 'ReadTimedout')
    assert.equal(silent.upstream.seen.length, 1)
  })

  test('§14.22 every backend unhealthy, or an unknown $var upstream, is 503', async () => {
    // The check runs every 100 ms and one failure marks the only backend down.
    await eventually(async () => {
      const res = await get(base, 'l22.test', '/')
      assertError(res, 503, 'NoAvailableUpstream')
      assert.match(res.body, /No available upstream for l22\b/)
    })
    const dyn = await get(base, 'nosuch.dyn.test', '/')
    assertError(dyn, 503, 'NoAvailableUpstream')
    assert.match(dyn.body, /No available upstream for l22-dyn\b/)
    // The same location with an existing name proxies.
    const echoed = await get(base, 'echo.dyn.test', '/d')
    assert.equal(echoed.body, 'echo GET /d')
  })

  test('§14.24 max_retries = 2 with one dead and one live backend: every request succeeds', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await get(base, 'l24.test', `/r${i}`)
      assert.equal(res.status, 200, `request ${i}: ${res.status} ${res.body}`)
      assert.equal(res.body, `live GET /r${i}`)
    }
    // Control: the same upstream without retries does reach the dead backend.
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await get(base, 'l24c.test', '/c')).status)
    assert.ok(statuses.includes(502), `control without retries never failed: ${statuses.join()}`)
  })
})

describe('spec §14.23: a JSON error_template', () => {
  let pingap: Pingap
  let base: string
  let deadPort: number

  before(async () => {
    deadPort = await closedPort()
    pingap = await startPingap(
      {
        'basic.toml': `[basic]\nerror_template = ${JSON.stringify('{"error":"{{error_type}}","msg":"{{content}}"}')}\n`,
        'servers.toml': webServer(['l23']),
        'locations.toml': tables('locations', { l23: { host: 'l23.test', upstream: 'refused' } }),
        'upstreams.toml': tables('upstreams', {
          refused: { addrs: [`127.0.0.1:${deadPort}`], health_check: NEVER_DOWN },
        }),
      },
      { waitFor: ['web'] },
    )
    base = pingap.servers.get('web') ?? ''
  })
  after(async () => {
    await pingap?.stop()
  })

  test('§14.23 error responses render the template as application/json', async () => {
    const missing = await get(base, 'other.test', '/x')
    assertError(missing, 404, 'NoLocation')
    assert.equal(missing.headers['content-type'], 'application/json; charset=utf-8')
    const parsed = JSON.parse(missing.body) as { error: string; msg: string }
    assert.equal(parsed.error, 'NoLocation')
    assert.match(parsed.msg, /No matching location/)

    const refused = await get(base, 'l23.test', '/')
    assertError(refused, 502, 'ConnectRefused')
    assert.equal(refused.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal((JSON.parse(refused.body) as { error: string }).error, 'ConnectRefused')
  })
})
