/** Every ServerRouter must pass these (spec §2.3 and §14 items 1–16); each router's test calls it. */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { LocationConf } from '../../../src/config/types.ts'
import { compileLocation } from '../../../src/router/location.ts'
import type { LocationMatcher, ServerRouter } from '../../../src/router/types.ts'
import { routeInput } from './route-input.ts'

type Factory = (locations: readonly LocationMatcher[]) => ServerRouter

function routerOf(factory: Factory, confs: Record<string, LocationConf>): ServerRouter {
  return factory(Object.entries(confs).map(([name, conf]) => compileLocation(name, conf)))
}

function winner(router: ServerRouter, ...args: Parameters<typeof routeInput>): string | undefined {
  return router.route(routeInput(...args))?.location.name
}

/** Registers the shared behaviour tests for one router implementation. */
export function serverRouterContract(label: string, factory: Factory): void {
  describe(`${label} (ServerRouter contract)`, () => {
    test('= exact beats a prefix of the same path, whatever the list order (item 1)', () => {
      for (const confs of [
        { prefix: { path: '/a' }, exact: { path: '=/a' } },
        { exact: { path: '=/a' }, prefix: { path: '/a' } },
      ]) {
        const router = routerOf(factory, confs)
        assert.equal(winner(router, '/a'), 'exact')
        assert.equal(winner(router, '/ab'), 'prefix')
      }
    })

    test('a longer prefix wins; a prefix beats a regex (items 2, 3)', () => {
      const router = routerOf(factory, {
        regex: { path: '~^/api' },
        api: { path: '/api' },
        v1: { path: '/api/v1' },
      })
      assert.equal(winner(router, '/api/v1/x'), 'v1')
      assert.equal(winner(router, '/api/x'), 'api')
    })

    test('a host-qualified location wins for its host only (items 4, 7)', () => {
      const router = routerOf(factory, {
        any: { path: '/' },
        host: { path: '/', host: 'EXAMPLE.com' },
      })
      assert.equal(winner(router, '/x', { host: 'example.com' }), 'host')
      assert.equal(winner(router, '/x', { host: 'other.com' }), 'any')
    })

    test('an explicit weight overrides the computed one; equal weights keep list order (items 5, 6)', () => {
      const router = routerOf(factory, {
        exact: { path: '=/a' },
        heavy: { path: '/', weight: 2000 },
      })
      assert.equal(winner(router, '/a'), 'heavy')
      assert.equal(
        winner(routerOf(factory, { first: { path: '/' }, second: { path: '/' } }), '/x'),
        'first',
      )
      assert.equal(
        winner(routerOf(factory, { second: { path: '/' }, first: { path: '/' } }), '/x'),
        'second',
      )
    })

    test('wildcard hosts match subdomains only (item 8)', () => {
      const router = routerOf(factory, { wild: { host: '*.example.com' } })
      assert.equal(winner(router, '/', { host: 'a.example.com' }), 'wild')
      assert.equal(winner(router, '/', { host: 'a.b.example.com' }), 'wild')
      assert.equal(winner(router, '/', { host: 'example.com' }), undefined)
      assert.equal(winner(router, '/', { host: 'evil-example.com' }), undefined)
    })

    test('prefixes are raw starts-with and regexes unanchored; no match gives undefined (items 9–11)', () => {
      const router = routerOf(factory, { api: { path: '/api' }, users: { path: '~/users' } })
      assert.equal(winner(router, '/apix'), 'api')
      assert.equal(winner(router, '/v2/users'), 'users')
      assert.equal(winner(router, '/other'), undefined)
    })

    test('header, query and cookie conditions select or skip a location (items 12, 13)', () => {
      const router = routerOf(factory, {
        v2: { path: '/', match_headers: ['x-version:2'] },
        canary: { path: '/', match_headers: ['x-canary'] },
        q: { path: '/', match_query: ['ver:2'], match_cookies: ['session'] },
        fallback: { path: '/' },
      })
      assert.equal(winner(router, '/', { headers: { 'x-version': '2' } }), 'v2')
      assert.equal(winner(router, '/', { headers: { 'x-version': '3' } }), 'fallback')
      assert.equal(winner(router, '/', { headers: { 'x-canary': 'yes' } }), 'canary')
      assert.equal(winner(router, '/', { query: 'ver=2', headers: { cookie: 'session=1' } }), 'q')
      assert.equal(winner(router, '/', { query: 'ver=2' }), 'fallback')
    })

    test('host regex captures come back as variables (item 16)', () => {
      const router = routerOf(factory, {
        dyn: { host: '~^(?<up>[a-z]+)\\.example\\.com$', upstream: '$up' },
      })
      const match = router.route(routeInput('/', { host: 'api.example.com' }))
      assert.equal(match?.location.name, 'dyn')
      assert.equal(match?.variables.get('up'), 'api')
    })

    test('an empty server routes nothing', () => {
      assert.equal(factory([]).route(routeInput('/')), undefined)
    })
  })
}
