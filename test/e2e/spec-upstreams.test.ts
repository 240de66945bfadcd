/**
 * Spec §14 items 25–30 against the real binary: proxy headers as the upstream sees them,
 * dynamic header values, weighted round robin, header-hash stickiness and health checks.
 */
import assert from 'node:assert/strict'
import { Agent } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { closeAll, get, tables, webServer } from '../helpers/spec.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const ENV_VALUE = 'from-the-environment'

/** How many answers came from each upstream name (the first word of the echo body). */
function tally(bodies: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const body of bodies) {
    const name = body.split(' ')[0] ?? ''
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return counts
}

describe('spec §14.25–30: proxy headers, balancing and health checks', () => {
  let pingap: Pingap
  let base: string
  let port: string
  const ups = new Map<string, TestUpstream>()
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const up = (name: string): TestUpstream => {
    const u = ups.get(name)
    if (u === undefined) throw new Error(`no upstream ${name}`)
    return u
  }
  /** The non-health-check requests a backend has seen. */
  const traffic = (name: string): number => up(name).seen.filter((s) => s.url !== '/health').length

  before(async () => {
    for (const name of ['hdr', 'heavy', 'light', 'h1', 'h2', 'h3', 'good', 'tcp-live']) {
      ups.set(name, await startUpstream(undefined, name))
    }
    // Answers 500 to the health check and proxies other requests like an echo.
    ups.set(
      'sick',
      await startUpstream((req, res) => {
        req.resume()
        res.statusCode = req.url === '/health' ? 500 : 200
        res.end(`sick ${req.method} ${req.url}`)
      }, 'sick'),
    )
    const dead = `127.0.0.1:${await closedPort()}`
    const locations = {
      l25: { host: 'u25.test', enable_reverse_proxy_headers: true, upstream: 'hdr' },
      l26: {
        host: 'u26.test',
        proxy_add_headers: ['x-a:1', 'x-a:2'],
        proxy_set_headers: ['x-b:3'],
        upstream: 'hdr',
      },
      l27: {
        host: 'u27.test',
        proxy_set_headers: ['x-ua:$http_user-agent', 'x-env:$PINGAP_E2E_VALUE', 'x-none:$nosuch'],
        upstream: 'hdr',
      },
      l28: { host: 'u28.test', upstream: 'weighted' },
      l29: { host: 'u29.test', upstream: 'sticky' },
      l30: { host: 'u30.test', upstream: 'checked' },
      'l30-tcp': { host: 'u30t.test', upstream: 'tcp-checked' },
    }
    const upstreams = {
      hdr: { addrs: [up('hdr').addr] },
      weighted: { addrs: [`${up('heavy').addr} 3`, `${up('light').addr} 1`] },
      sticky: { addrs: [up('h1').addr, up('h2').addr, up('h3').addr], algo: 'hash:header:X-User' },
      checked: {
        addrs: [up('sick').addr, up('good').addr],
        health_check: 'http://svc/health?check_frequency=200ms',
      },
      'tcp-checked': { addrs: [dead, up('tcp-live').addr] },
    }
    pingap = await startPingap(
      {
        'servers.toml': webServer(Object.keys(locations)),
        'locations.toml': tables('locations', locations),
        'upstreams.toml': tables('upstreams', upstreams),
      },
      { waitFor: ['web'], env: { PINGAP_E2E_VALUE: ENV_VALUE } },
    )
    base = pingap.servers.get('web') ?? ''
    port = new URL(base).port
  })
  after(async () => {
    agent.destroy()
    await pingap?.stop()
    await closeAll(ups.values())
  })

  test('§14.25 enable_reverse_proxy_headers sets x-real-ip and the x-forwarded-* headers', async () => {
    const res = await get(base, 'u25.test', '/p', { headers: { 'x-forwarded-for': '203.0.113.7' } })
    assert.equal(res.status, 200)
    const headers = up('hdr').seen.at(-1)?.headers ?? {}
    assert.equal(headers['x-real-ip'], '127.0.0.1')
    assert.equal(headers['x-forwarded-for'], '203.0.113.7, 127.0.0.1')
    assert.equal(headers['x-forwarded-proto'], 'http')
    assert.equal(headers['x-forwarded-host'], 'u25.test')
    assert.equal(headers['x-forwarded-port'], port)
  })

  test('§14.26 proxy_add_headers appends duplicates, proxy_set_headers replaces', async () => {
    const res = await get(base, 'u26.test', '/p', { headers: { 'x-b': 'client' } })
    assert.equal(res.status, 200)
    const headers = up('hdr').seen.at(-1)?.headers ?? {}
    assert.equal(headers['x-a'], '1, 2')
    assert.equal(headers['x-b'], '3')
  })

  test('§14.27 dynamic values: $http_user-agent, an env var, an unknown $name literally', async () => {
    const res = await get(base, 'u27.test', '/p', { headers: { 'user-agent': 'spec-agent/1.0' } })
    assert.equal(res.status, 200)
    const headers = up('hdr').seen.at(-1)?.headers ?? {}
    assert.equal(headers['x-ua'], 'spec-agent/1.0')
    assert.equal(headers['x-env'], ENV_VALUE)
    assert.equal(headers['x-none'], '$nosuch')
  })

  test('§14.28 weighted round robin 3:1 sends about 3/4 of 400 requests to the heavy one', async () => {
    const bodies: string[] = []
    for (let i = 0; i < 400; i++) {
      const res = await get(base, 'u28.test', '/w', { agent })
      assert.equal(res.status, 200)
      bodies.push(res.body)
    }
    const counts = tally(bodies)
    const heavy = counts.get('heavy') ?? 0
    assert.equal(heavy + (counts.get('light') ?? 0), 400)
    assert.ok(heavy >= 270 && heavy <= 330, `heavy got ${heavy} of 400`)
  })

  test('§14.29 hash:header:X-User keeps each user on one backend', async () => {
    const users = ['ann', 'bob', 'cid', 'dee', 'eve']
    const chosen = new Map<string, Set<string>>()
    for (let i = 0; i < 50; i++) {
      const user = users[i % users.length] ?? ''
      const res = await get(base, 'u29.test', '/s', { agent, headers: { 'x-user': user } })
      assert.equal(res.status, 200)
      const set = chosen.get(user) ?? new Set<string>()
      set.add(res.body.split(' ')[0] ?? '')
      chosen.set(user, set)
    }
    for (const [user, backends] of chosen) {
      assert.equal(backends.size, 1, `${user} went to ${[...backends].join(', ')}`)
    }
    // Many distinct users spread over more than one backend (not "always the first").
    const spread = new Set<string>()
    for (let i = 0; i < 30; i++) {
      const res = await get(base, 'u29.test', '/s', { agent, headers: { 'x-user': `user-${i}` } })
      spread.add(res.body.split(' ')[0] ?? '')
    }
    assert.ok(spread.size >= 2, `30 users all went to ${[...spread].join()}`)
  })

  test('§14.30 an HTTP check answered 500 takes the backend out of rotation', async () => {
    await eventually(() => {
      const checks = up('sick').seen.filter((s) => s.url === '/health')
      assert.ok(checks.length >= 2, `only ${checks.length} health checks so far`)
      assert.equal(checks[0]?.headers.host, 'svc')
    })
    // After the second failure the sick backend gets no more traffic.
    await eventually(async () => {
      for (let i = 0; i < 6; i++) {
        const res = await get(base, 'u30.test', '/h', { agent })
        assert.equal(res.body, 'good GET /h')
      }
    })
    const before = traffic('sick')
    for (let i = 0; i < 20; i++) {
      const res = await get(base, 'u30.test', `/after${i}`, { agent })
      assert.equal(res.body, `good GET /after${i}`)
    }
    assert.equal(traffic('sick'), before)
    assert.ok(traffic('good') >= 26)
  })

  test('§14.30 the default TCP check marks a closed port down', async () => {
    // The first check runs at start-up; until it fails a request may still be refused.
    await eventually(async () => {
      for (let i = 0; i < 10; i++) {
        const res = await get(base, 'u30t.test', `/t${i}`, { agent })
        assert.equal(res.status, 200, `request ${i}: ${res.status} ${res.body}`)
        assert.equal(res.body, `tcp-live GET /t${i}`)
      }
    })
  })
})
