import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LocationConf } from '../../../src/config/types.ts'
import { createRouter, indexedRouter } from '../../../src/router/indexed-router.ts'
import { linearRouter } from '../../../src/router/linear-router.ts'
import { compileLocation } from '../../../src/router/location.ts'
import type { LocationMatcher, RouteInput } from '../../../src/router/types.ts'
import { prng, routeInput, testSeed } from './route-input.ts'
import { serverRouterContract } from './server-router.contract.ts'

serverRouterContract('indexedRouter', indexedRouter)

test('createRouter is the indexed router', () => {
  assert.equal(createRouter, indexedRouter)
})

test('the path trie finds partial-segment prefixes, exact paths and many buckets in weight order', () => {
  // More than 8 locations per bucket so the trie (not the small-bucket list) is exercised.
  const confs: Record<string, LocationConf> = {
    ap: { path: '/ap' },
    api: { path: '/api' },
    apiSlash: { path: '/api/' },
    exactApi: { path: '=/api' },
    v1: { path: '/api/v1' },
    regex: { path: '~^/api/(?<n>\\d+)$' },
    root: { path: '/' },
    other: { path: '/other' },
    spaced: { path: '= /exact' },
    hostApi: { path: '/api/v1/users', host: 'a.com,*.a.com,~^zz' },
  }
  for (let i = 0; i < 10; i++) confs[`filler${i}`] = { path: `/f${i}/` }
  const locations = Object.entries(confs).map(([name, conf]) => compileLocation(name, conf))
  const router = indexedRouter(locations)
  const cases: Array<[path: string, host: string, want: string | undefined]> = [
    ['/api', 'x.com', 'exactApi'],
    ['/api/', 'x.com', 'apiSlash'],
    ['/apix', 'x.com', 'api'],
    ['/apa', 'x.com', 'ap'],
    ['/api/v1/users', 'x.com', 'v1'],
    ['/api/v1/users', 'b.a.com', 'hostApi'],
    ['/api/v1/users', 'a.com', 'hostApi'],
    ['/api/v1/users', 'zz.org', 'hostApi'],
    ['/api/12', 'x.com', 'apiSlash'],
    ['/exact', 'x.com', 'spaced'],
    ['/f3/x', 'x.com', 'filler3'],
    ['/f3', 'x.com', 'root'],
    ['/', 'x.com', 'root'],
  ]
  for (const [path, host, want] of cases) {
    assert.equal(router.route(routeInput(path, { host }))?.location.name, want, `${host}${path}`)
  }
})

/** Random configs and requests from small pools, so that rules overlap and ties happen. */
function randomWorld(
  random: () => number,
  count: number,
): {
  locations: LocationMatcher[]
  request: () => RouteInput
} {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!
  const chance = (p: number): boolean => random() < p
  const hostPool = [
    'a.com',
    'b.com',
    'api.a.com',
    'x.api.a.com',
    'b.a.com',
    'c.org',
    'evil-a.com',
    'a.com.evil.net',
    'zz.a.com',
    'localhost',
  ]
  const hostRules = [
    '*.a.com',
    '*.api.a.com',
    '*.com',
    '~^(?<sub>[a-z]+)\\.a\\.com$',
    '~b',
    '~^c\\.',
    '~(?i)^A\\.COM$',
  ]
  const segments = ['api', 'ap', 'v1', 'v2', 'users', 'x', 'a', '']
  const regexPaths = [
    '~^/api/(?<ver>v[0-9])',
    '~/users',
    '~^/ap',
    '~x$',
    '~^/(?<first>[a-z]+)/v1',
    '~ ^/a',
    '~(?i)^/API',
  ]
  const randomPath = (): string => {
    let path = ''
    const count = 1 + Math.floor(random() * 3)
    for (let i = 0; i < count; i++) path += '/' + pick(segments)
    if (chance(0.3)) path += '/'
    return path
  }
  const randomPathRule = (): string | undefined => {
    const r = random()
    if (r < 0.12) return undefined
    if (r < 0.17) return '/'
    if (r < 0.55) {
      const path = randomPath()
      return chance(0.3) ? path.slice(0, 1 + Math.floor(random() * path.length)) : path
    }
    if (r < 0.75) return (chance(0.3) ? '= ' : '=') + randomPath()
    return pick(regexPaths)
  }
  const randomHost = (): string | undefined => {
    if (chance(0.4)) return undefined
    const entries: string[] = []
    const count = 1 + Math.floor(random() * 2)
    for (let i = 0; i < count; i++) {
      if (chance(0.55)) entries.push(chance(0.2) ? pick(hostPool).toUpperCase() : pick(hostPool))
      else entries.push(pick(hostRules))
    }
    return entries.join(chance(0.5) ? ',' : ', ')
  }
  const locations: LocationMatcher[] = []
  for (let i = 0; i < count; i++) {
    const conf: { -readonly [K in keyof LocationConf]: LocationConf[K] } = {}
    const path = randomPathRule()
    if (path !== undefined) conf.path = path
    const host = randomHost()
    if (host !== undefined) conf.host = host
    if (chance(0.15)) conf.match_headers = [pick(['x-v:1', 'x-v', 'X-Canary', 'x-v:2'])]
    if (chance(0.1)) conf.match_query = [pick(['ver:2', 'ver', 'q:'])]
    if (chance(0.1)) conf.match_cookies = [pick(['s', 's:1'])]
    if (chance(0.1)) conf.weight = Math.floor(random() * 1200)
    locations.push(compileLocation(`l${i}`, conf))
  }
  const request = (): RouteInput => {
    const headers: Record<string, string> = {}
    if (chance(0.3)) headers['x-v'] = pick(['1', '2'])
    if (chance(0.1)) headers['x-canary'] = ''
    if (chance(0.2)) headers['cookie'] = pick(['s=1', 's=2', 'a=1; s=1'])
    let path = randomPath()
    if (chance(0.2)) path += pick(['x', 'i', '1'])
    const host = chance(0.1) ? pick(['q.b.a.com', 'a.b.c.org', 'com']) : pick(hostPool)
    return routeInput(path, {
      host,
      query: pick(['', '', 'ver=2', 'ver=1&ver=2', 'q=', 'ver']),
      headers,
    })
  }
  return { locations, request }
}

test('ORACLE: indexedRouter picks exactly what linearRouter picks on random configs', (t) => {
  const seed = testSeed()
  t.diagnostic(`seed ${seed} (replay with ROUTER_SEED=${seed})`)
  console.log(`indexed-router oracle seed: ${seed}`)
  const random = prng(seed)
  const winners = new Set<string>()
  let compared = 0
  // One big world (1,000 locations, 10,000 requests) plus many small ones, whose buckets mostly
  // stay under the trie threshold.
  const worlds = [{ size: 1000, requests: 10_000 }]
  for (let i = 0; i < 40; i++) worlds.push({ size: 1 + Math.floor(random() * 30), requests: 250 })
  for (const [w, { size, requests }] of worlds.entries()) {
    const world = randomWorld(random, size)
    const linear = linearRouter(world.locations)
    const indexed = indexedRouter(world.locations)
    for (let i = 0; i < requests; i++) {
      const input = world.request()
      const want = linear.route(input)
      const got = indexed.route(input)
      const context = `seed ${seed}, world ${w}, request ${JSON.stringify(input)}`
      assert.equal(got?.location.name, want?.location.name, context)
      assert.deepEqual(got && [...got.variables], want && [...want.variables], context)
      if (want !== undefined) winners.add(`${w}:${want.location.name}`)
      compared++
    }
  }
  assert.equal(compared, 20_000)
  assert.ok(
    winners.size > 200,
    `only ${winners.size} distinct winners: the generator is too narrow`,
  )
})
