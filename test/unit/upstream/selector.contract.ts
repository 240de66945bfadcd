/** Every selector must pass these; each selector's own test file calls this. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Selector } from '../../../src/upstream/types.ts'
import { fakeBackends, fakeContext } from './fixtures.ts'

const contexts = [
  fakeContext({ path: '/a' }),
  fakeContext({ path: '/b', query: 'x=1', clientIp: '10.9.9.9' }),
  fakeContext({ path: '/c', headers: { cookie: 'sid=42', 'x-user': 'u1' } }),
]

export function selectorContract(newSelector: () => Selector): void {
  describe(`${newSelector().algorithm} (contract)`, () => {
    test('returns undefined for an empty list', () => {
      assert.equal(newSelector().select([], fakeContext()), undefined)
    })

    test('returns undefined when no backend is healthy', () => {
      const backends = fakeBackends(1, 2, 3)
      for (const b of backends) b.healthy = false
      const selector = newSelector()
      for (const ctx of contexts) assert.equal(selector.select(backends, ctx), undefined)
    })

    test('never returns an unhealthy backend', () => {
      const backends = fakeBackends(1, 5, 1, 2, 1, 1)
      for (const i of [0, 1, 3, 5]) backends[i]!.healthy = false
      const selector = newSelector()
      for (let i = 0; i < 200; i++) {
        const ctx = fakeContext({ path: `/p${i}`, clientIp: `10.1.0.${i % 250}` })
        const picked = selector.select(backends, ctx)
        assert.ok(picked !== undefined && picked.healthy, picked?.address)
      }
    })

    test('never returns an excluded backend, and undefined when all usable ones are excluded', () => {
      const backends = fakeBackends(1, 1, 1)
      backends[2]!.healthy = false
      const selector = newSelector()
      for (const ctx of contexts) {
        assert.equal(selector.select(backends, ctx, new Set([backends[0]!])), backends[1])
        assert.equal(
          selector.select(backends, ctx, new Set([backends[0]!, backends[1]!])),
          undefined,
        )
      }
    })

    test('considers every backend: with 6 backends and 5 unhealthy, the healthy one is returned', () => {
      for (let healthyIndex = 0; healthyIndex < 6; healthyIndex++) {
        const backends = fakeBackends(1, 1, 1, 1, 1, 1)
        backends.forEach((b, i) => (b.healthy = i === healthyIndex))
        const selector = newSelector()
        for (const ctx of contexts)
          assert.equal(selector.select(backends, ctx), backends[healthyIndex])
      }
    })
  })
}
