/**
 * Property: the indexed router picks exactly what the linear reference router picks (decisions
 * §3), for random location sets and random requests drawn from overlapping pools.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { LocationConf } from '../../../src/config/types.ts'
import { indexedRouter } from '../../../src/router/indexed-router.ts'
import { linearRouter } from '../../../src/router/linear-router.ts'
import { compileLocation } from '../../../src/router/location.ts'
import type { RouteInput } from '../../../src/router/types.ts'

const HOSTS = ['a.test', 'b.test', 'x.a.test', 'A.TEST', 'c.test']
const SEGMENTS = ['', 'api', 'v1', 'users', 'static', 'a', 'ap', '12']

const hostRule = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(...HOSTS),
  fc.constantFrom('*.a.test', '~^(?<sub>[a-z]+)\\.a\\.test$', 'a.test,b.test', '~^b'),
)

const path = fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 4 }).map((s) => `/${s.join('/')}`)

const pathRule = fc.oneof(
  fc.constant(undefined),
  path,
  path.map((p) => `=${p}`),
  fc.constantFrom('~^/api/(?<n>\\d+)$', '~/v1', '~^/static/'),
)

const location = fc.record(
  {
    host: hostRule,
    path: pathRule,
    weight: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
  },
  { requiredKeys: [] },
)

const request: fc.Arbitrary<RouteInput> = fc.record({
  host: fc.constantFrom(...HOSTS.map((h) => h.toLowerCase()), 'zz.test', 'q.a.test', ''),
  path,
  query: fc.constant(''),
  headers: fc.constant({}),
})

test('property: indexed router = linear router', () => {
  fc.assert(
    fc.property(
      fc.array(location, { minLength: 1, maxLength: 20 }),
      fc.array(request, { minLength: 1, maxLength: 20 }),
      (confs, requests) => {
        const clean = confs.map((c) =>
          Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)),
        ) as LocationConf[]
        const locations = clean.map((conf, i) => compileLocation(`l${i}`, conf))
        const fast = indexedRouter(locations)
        const oracle = linearRouter(locations)
        for (const input of requests) {
          const got = fast.route(input)
          const want = oracle.route(input)
          assert.equal(got?.location.name, want?.location.name, `${input.host}${input.path}`)
          assert.deepEqual([...(got?.variables ?? new Map())], [...(want?.variables ?? new Map())])
        }
      },
    ),
    { numRuns: 300 },
  )
})
