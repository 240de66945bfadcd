import assert from 'node:assert/strict'
import { test } from 'node:test'
import { roundRobin } from '../../../../src/upstream/selectors/round-robin.ts'
import { fakeBackends, fakeContext, letter } from '../fixtures.ts'
import { selectorContract } from '../selector.contract.ts'

selectorContract(roundRobin)

const ctx = fakeContext()

test('round_robin interleaves by weight: 5,1,1 gives a a b a c a a', () => {
  const selector = roundRobin()
  const backends = fakeBackends(5, 1, 1)
  const picks = Array.from({ length: 14 }, () => letter(selector.select(backends, ctx))).join('')
  assert.equal(picks, 'aabacaa'.repeat(2))
})

test('equal weights alternate', () => {
  const selector = roundRobin()
  const backends = fakeBackends(1, 1, 1)
  const picks = Array.from({ length: 6 }, () => letter(selector.select(backends, ctx))).join('')
  assert.equal(picks, 'abcabc')
})

test('weights 3:1 share traffic 3/4 to 1/4', () => {
  const selector = roundRobin()
  const backends = fakeBackends(3, 1)
  let a = 0
  for (let i = 0; i < 4000; i++) if (letter(selector.select(backends, ctx)) === 'a') a++
  assert.equal(a, 3000)
})

test('an unhealthy backend is skipped and the others keep their share', () => {
  const selector = roundRobin()
  const backends = fakeBackends(1, 1, 1)
  backends[1]!.healthy = false
  const picks = Array.from({ length: 4 }, () => letter(selector.select(backends, ctx))).join('')
  assert.equal(picks, 'acac')
})

test('a new backend list keeps the rotation of the addresses that stay', () => {
  const selector = roundRobin()
  const first = fakeBackends(1, 1)
  assert.equal(letter(selector.select(first, ctx)), 'a')
  const second = [...first, ...fakeBackends(1, 1, 1).slice(2)]
  const picks = Array.from({ length: 3 }, () => letter(selector.select(second, ctx))).join('')
  assert.equal(picks.split('').sort().join(''), 'abc')
})
