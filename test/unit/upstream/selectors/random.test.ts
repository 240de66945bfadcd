import assert from 'node:assert/strict'
import { test } from 'node:test'
import { weightedRandom } from '../../../../src/upstream/selectors/random.ts'
import { fakeBackends, fakeContext, letter } from '../fixtures.ts'
import { selectorContract } from '../selector.contract.ts'

selectorContract(() => weightedRandom())

test('random picks in proportion to weight', () => {
  // A deterministic sequence spread evenly over [0, 1).
  let i = 0
  const selector = weightedRandom(() => (i++ * 0.618033988749895) % 1)
  const backends = fakeBackends(3, 1)
  let a = 0
  for (let n = 0; n < 4000; n++) if (letter(selector.select(backends, fakeContext())) === 'a') a++
  assert.ok(Math.abs(a - 3000) < 40, String(a))
})

test('random never returns a zero share: the top of the range picks the last usable backend', () => {
  const selector = weightedRandom(() => 0.9999999999999999)
  const backends = fakeBackends(1, 1, 1)
  backends[2]!.healthy = false
  assert.equal(letter(selector.select(backends, fakeContext())), 'b')
})
