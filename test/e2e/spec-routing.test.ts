/**
 * Spec §14 items 1–16 against the real binary: location priority, host and path matching, the
 * no-location answer, match conditions, rewrite and `$var` upstreams. Every location proxies to
 * its own named echo upstream, so the body (`<name> <method> <url>`) says which one answered.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { TestResponse } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import {
  closeAll,
  get,
  namedUpstreams,
  tables,
  upstreamTables,
  webServer,
  type TomlValue,
} from '../helpers/spec.ts'
import type { TestUpstream } from '../helpers/upstreams.ts'

type Locations = Record<string, Record<string, TomlValue | undefined>>

/** Asserts that upstream `name` answered `GET url` (as the upstream saw it). */
function assertAnsweredBy(res: TestResponse, name: string, url: string): void {
  assert.equal(res.status, 200, `expected 200 from ${name}, got ${res.status}: ${res.body}`)
  assert.equal(res.body, `${name} GET ${url}`)
}

/** Starts the upstreams named by the locations and pingap-ts with one server listing them. */
async function startRouting(
  locations: Locations,
  extraUpstreams: readonly string[] = [],
): Promise<{ pingap: Pingap; base: string; upstreams: Map<string, TestUpstream> }> {
  const names = new Set<string>(extraUpstreams)
  for (const loc of Object.values(locations)) {
    const up = loc['upstream']
    if (typeof up === 'string' && !up.startsWith('$')) names.add(up)
  }
  const upstreams = await namedUpstreams([...names])
  try {
    const pingap = await startPingap(
      {
        'servers.toml': webServer(Object.keys(locations)),
        'locations.toml': tables('locations', locations),
        'upstreams.toml': upstreamTables(upstreams),
      },
      { waitFor: ['web'] },
    )
    return { pingap, base: pingap.servers.get('web') ?? '', upstreams }
  } catch (err) {
    await closeAll(upstreams.values())
    throw err
  }
}

describe('spec §14.1–10: location priority and host/path matching', () => {
  // Listed so that list order alone would pick the wrong location where weights matter.
  const locations: Locations = {
    'l1-prefix': { host: 's1.test', path: '/a', upstream: 'r1-prefix' },
    'l1-exact': { host: 's1.test', path: '=/a', upstream: 'r1-exact' },
    'l2-api': { host: 's2.test', path: '/api', upstream: 'r2-api' },
    'l2-v1': { host: 's2.test', path: '/api/v1', upstream: 'r2-v1' },
    'l3-regex': { host: 's3.test', path: '~^/api', upstream: 'r3-regex' },
    'l3-prefix': { host: 's3.test', path: '/api', upstream: 'r3-prefix' },
    'l4-any': { path: '/h4', upstream: 'r4-any' },
    'l4-host': { host: 'example.com', path: '/h4', upstream: 'r4-host' },
    'l5-exact': { host: 's5.test', path: '=/a', upstream: 'r5-exact' },
    'l5-weight': { host: 's5.test', path: '/', weight: 2000, upstream: 'r5-weight' },
    'l6a-first': { host: 's6a.test', path: '/', upstream: 'r6-first' },
    'l6a-second': { host: 's6a.test', path: '/', upstream: 'r6-second' },
    'l6b-second': { host: 's6b.test', path: '/', upstream: 'r6-second' },
    'l6b-first': { host: 's6b.test', path: '/', upstream: 'r6-first' },
    'l7-host': { host: 'case.test', path: '/c7', upstream: 'r7-host' },
    'l8-any': { path: '/w8', upstream: 'r8-any' },
    'l8-wild': { host: '*.example.com', path: '/w8', upstream: 'r8-wild' },
    'l9-prefix': { host: 's9.test', path: '/api', upstream: 'r9-prefix' },
    'l10-regex': { host: 's10.test', path: '~/users', upstream: 'r10-regex' },
  }
  let pingap: Pingap
  let base: string
  let upstreams: Map<string, TestUpstream>

  before(async () => {
    ;({ pingap, base, upstreams } = await startRouting(locations))
  })
  after(async () => {
    await pingap?.stop()
    await closeAll(upstreams?.values() ?? [])
  })

  test('§14.1 an exact path beats a prefix for the same path, whatever the list order', async () => {
    assertAnsweredBy(await get(base, 's1.test', '/a'), 'r1-exact', '/a')
    assertAnsweredBy(await get(base, 's1.test', '/ab'), 'r1-prefix', '/ab')
  })

  test('§14.2 a longer prefix beats a shorter one', async () => {
    assertAnsweredBy(await get(base, 's2.test', '/api/v1/x'), 'r2-v1', '/api/v1/x')
    assertAnsweredBy(await get(base, 's2.test', '/api/x'), 'r2-api', '/api/x')
  })

  test('§14.3 a prefix beats a regex of the same text', async () => {
    assertAnsweredBy(await get(base, 's3.test', '/api/x'), 'r3-prefix', '/api/x')
  })

  test('§14.4 a host-qualified location beats a hostless one for its host only', async () => {
    assertAnsweredBy(await get(base, 'example.com', '/h4'), 'r4-host', '/h4')
    assertAnsweredBy(await get(base, 'other.test', '/h4'), 'r4-any', '/h4')
  })

  test('§14.5 an explicit weight on "/" beats an exact path', async () => {
    assertAnsweredBy(await get(base, 's5.test', '/a'), 'r5-weight', '/a')
  })

  test('§14.6 locations of equal weight are tried in the order the server lists them', async () => {
    assertAnsweredBy(await get(base, 's6a.test', '/x'), 'r6-first', '/x')
    assertAnsweredBy(await get(base, 's6b.test', '/x'), 'r6-second', '/x')
  })

  test('§14.7 host matching ignores case and the port', async () => {
    assertAnsweredBy(await get(base, 'CASE.Test:8080', '/c7'), 'r7-host', '/c7')
    assertAnsweredBy(await get(base, 'case.test', '/c7'), 'r7-host', '/c7')
  })

  test('§14.8 *.example.com matches subdomains, not the apex nor evil-example.com', async () => {
    assertAnsweredBy(await get(base, 'a.example.com', '/w8'), 'r8-wild', '/w8')
    assertAnsweredBy(await get(base, 'a.b.example.com', '/w8'), 'r8-wild', '/w8')
    assertAnsweredBy(await get(base, 'A.Example.COM', '/w8'), 'r8-wild', '/w8')
    assertAnsweredBy(await get(base, 'example.com', '/w8'), 'r8-any', '/w8')
    assertAnsweredBy(await get(base, 'evil-example.com', '/w8'), 'r8-any', '/w8')
  })

  test('§14.9 a prefix is a raw starts-with: /api matches /apix', async () => {
    assertAnsweredBy(await get(base, 's9.test', '/apix'), 'r9-prefix', '/apix')
    assert.equal((await get(base, 's9.test', '/ap')).status, 404)
  })

  test('§14.10 a path regex is unanchored: ~/users matches /api/users', async () => {
    assertAnsweredBy(await get(base, 's10.test', '/api/users'), 'r10-regex', '/api/users')
    assert.equal((await get(base, 's10.test', '/api/other')).status, 404)
  })
})

describe('spec §14.11–16: no location, match conditions, rewrite, $var upstream', () => {
  const locations: Locations = {
    'l12-v2': { host: 's12.test', path: '/', match_headers: ['x-version:2'], upstream: 'r12-v2' },
    'l12-canary': {
      host: 's12.test',
      path: '/',
      match_headers: ['x-canary'],
      upstream: 'r12-canary',
    },
    'l12-base': { host: 's12.test', path: '/', upstream: 'r12-base' },
    'l13-q': {
      host: 's13.test',
      match_query: ['ver:2'],
      match_cookies: ['session'],
      upstream: 'r13-q',
    },
    'l13-base': { host: 's13.test', upstream: 'r13-base' },
    'l14-rewrite': { host: 's14.test', path: '/api', rewrite: '^/api/(.*)$ /$1', upstream: 'r14' },
    'l15-strip': { host: 's15.test', path: '/api', rewrite: '^/api', upstream: 'r15' },
    'l16-dyn': { host: '~^(?<up>[a-z]+)\\.example\\.com$', upstream: '$up' },
  }
  let pingap: Pingap
  let base: string
  let upstreams: Map<string, TestUpstream>

  before(async () => {
    ;({ pingap, base, upstreams } = await startRouting(locations, ['api', 'www']))
  })
  after(async () => {
    await pingap?.stop()
    await closeAll(upstreams?.values() ?? [])
  })

  test('§14.11 no matching location answers 404 NoLocation with the HTML error page', async () => {
    const seenBefore = [...upstreams.values()].reduce((n, u) => n + u.seen.length, 0)
    const res = await get(base, 'nomatch.test', '/zzz')
    assert.equal(res.status, 404)
    assert.equal(res.headers['x-pingap-etype'], 'NoLocation')
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
    assert.equal(res.headers['cache-control'], 'private, no-store')
    assert.match(res.body, /No matching location/)
    const seenAfter = [...upstreams.values()].reduce((n, u) => n + u.seen.length, 0)
    assert.equal(seenAfter, seenBefore, 'an upstream was contacted')
  })

  test('§14.12 match_headers needs the exact value, or only presence for a bare name', async () => {
    assertAnsweredBy(await get(base, 's12.test', '/h'), 'r12-base', '/h')
    const wrong = await get(base, 's12.test', '/h', { headers: { 'x-version': '3' } })
    assertAnsweredBy(wrong, 'r12-base', '/h')
    const right = await get(base, 's12.test', '/h', { headers: { 'X-Version': '2' } })
    assertAnsweredBy(right, 'r12-v2', '/h')
    const canary = await get(base, 's12.test', '/h', { headers: { 'x-canary': 'anything' } })
    assertAnsweredBy(canary, 'r12-canary', '/h')
  })

  test('§14.13 match_query and match_cookies must both hold', async () => {
    const both = { headers: { cookie: 'a=1; session=abc' } }
    assertAnsweredBy(await get(base, 's13.test', '/q?ver=2', both), 'r13-q', '/q?ver=2')
    assertAnsweredBy(await get(base, 's13.test', '/q?ver=2'), 'r13-base', '/q?ver=2')
    assertAnsweredBy(await get(base, 's13.test', '/q?ver=1', both), 'r13-base', '/q?ver=1')
    const other = { headers: { cookie: 'sessionx=1' } }
    assertAnsweredBy(await get(base, 's13.test', '/q?ver=2', other), 'r13-base', '/q?ver=2')
  })

  test('§14.14 rewrite "^/api/(.*)$ /$1" sends /x?q=1 upstream for /api/x?q=1', async () => {
    assertAnsweredBy(await get(base, 's14.test', '/api/x?q=1'), 'r14', '/x?q=1')
    assert.equal(upstreams.get('r14')?.seen.at(-1)?.url, '/x?q=1')
  })

  test('§14.15 rewrite "^/api" without replacement strips the prefix', async () => {
    assertAnsweredBy(await get(base, 's15.test', '/api/users'), 'r15', '/users')
  })

  test('§14.16 a host regex capture names the upstream ($up)', async () => {
    assertAnsweredBy(await get(base, 'api.example.com', '/p'), 'api', '/p')
    assertAnsweredBy(await get(base, 'www.example.com', '/p'), 'www', '/p')
  })
})
