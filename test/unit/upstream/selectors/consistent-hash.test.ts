import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  buildRing,
  consistentHash,
  hashString,
} from '../../../../src/upstream/selectors/consistent-hash.ts'
import { hashKeyFor } from '../../../../src/upstream/selectors/hash-key.ts'
import { fakeBackends, fakeContext } from '../fixtures.ts'
import { selectorContract } from '../selector.contract.ts'

selectorContract(() => consistentHash('hash:path', hashKeyFor('hash:path', 'algo')))
selectorContract(() => consistentHash('hash:ip', hashKeyFor('hash:ip', 'algo')))

const byPath = (): ReturnType<typeof consistentHash> =>
  consistentHash('hash', hashKeyFor('hash', 'algo'))

test('the same key always reaches the same backend', () => {
  const selector = byPath()
  const backends = fakeBackends(1, 1, 1, 1)
  for (let i = 0; i < 100; i++) {
    const ctx = fakeContext({ path: `/item/${i}` })
    const first = selector.select(backends, ctx)
    for (let n = 0; n < 3; n++) assert.equal(selector.select(backends, ctx), first)
  }
})

test('keys spread over all backends', () => {
  const selector = byPath()
  const backends = fakeBackends(1, 1, 1, 1)
  const counts = new Map<string, number>()
  for (let i = 0; i < 4000; i++) {
    const b = selector.select(backends, fakeContext({ path: `/item/${i}` }))!
    counts.set(b.address, (counts.get(b.address) ?? 0) + 1)
  }
  assert.equal(counts.size, 4)
  for (const n of counts.values()) assert.ok(n > 700 && n < 1300, String(n))
})

test('weights 3:1 give about 3/4 of the keys to the heavy backend', () => {
  const selector = byPath()
  const backends = fakeBackends(3, 1)
  let heavy = 0
  for (let i = 0; i < 8000; i++) {
    if (selector.select(backends, fakeContext({ path: `/k${i}` })) === backends[0]) heavy++
  }
  assert.ok(heavy > 5600 && heavy < 6400, String(heavy))
})

test('a key moves only when its own backend goes unhealthy, and comes back after', () => {
  const selector = byPath()
  const backends = fakeBackends(1, 1, 1, 1, 1)
  const keys = Array.from({ length: 500 }, (_, i) => fakeContext({ path: `/u/${i}` }))
  const before = keys.map((ctx) => selector.select(backends, ctx))
  backends[2]!.healthy = false
  const during = keys.map((ctx) => selector.select(backends, ctx))
  let moved = 0
  keys.forEach((_, i) => {
    if (before[i] === backends[2]) {
      moved++
      assert.notEqual(during[i], backends[2])
    } else {
      assert.equal(during[i], before[i])
    }
  })
  assert.ok(moved > 0)
  backends[2]!.healthy = true
  assert.deepEqual(
    keys.map((ctx) => selector.select(backends, ctx)),
    before,
  )
})

test('an excluded backend (a retry) moves the key to another backend', () => {
  const selector = byPath()
  const backends = fakeBackends(1, 1, 1)
  const ctx = fakeContext({ path: '/retry' })
  const first = selector.select(backends, ctx)!
  const second = selector.select(backends, ctx, new Set([first]))
  assert.ok(second !== undefined && second !== first)
})

test('adding a backend moves only a share of the keys', () => {
  const [before, after] = [byPath(), byPath()]
  const four = fakeBackends(1, 1, 1, 1)
  const five = [...four, ...fakeBackends(1, 1, 1, 1, 1).slice(4)]
  let moved = 0
  for (let i = 0; i < 2000; i++) {
    const ctx = fakeContext({ path: `/m/${i}` })
    const a = before.select(four, ctx)
    const b = after.select(five, ctx)
    if (a !== b) {
      moved++
      assert.equal(b, five[4])
    }
  }
  assert.ok(moved > 200 && moved < 700, String(moved))
})

test('the ring gives 160 points per unit of weight, sorted', () => {
  const ring = buildRing(fakeBackends(1, 2))
  assert.equal(ring.points.length, 480)
  for (let i = 1; i < ring.points.length; i++) assert.ok(ring.points[i - 1]! <= ring.points[i]!)
  assert.equal(ring.owners.filter((o) => o === 1).length, 320)
})

test('hashString is stable and uses the whole 32-bit range', () => {
  assert.equal(hashString('/a'), hashString('/a'))
  assert.notEqual(hashString('/a'), hashString('/b'))
  const high = Array.from({ length: 1000 }, (_, i) => hashString(`k${i}`)).filter(
    (h) => h >= 2 ** 31,
  )
  assert.ok(high.length > 400 && high.length < 600)
})
