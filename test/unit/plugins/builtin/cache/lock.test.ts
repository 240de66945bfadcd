import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CacheLocks } from '../../../../../src/plugins/builtin/cache/lock.ts'

test('cache locks: one holder, waiters woken on release or timed out', async () => {
  const locks = new CacheLocks()
  assert.ok(locks.tryAcquire('k'))
  assert.ok(!locks.tryAcquire('k'))
  const waiting = [locks.wait('k', 10_000), locks.wait('k', 10_000)]
  locks.release('k')
  assert.deepEqual(await Promise.all(waiting), [true, true])
  assert.ok(!locks.isHeld('k'))
  assert.ok(locks.tryAcquire('k'))
  assert.equal(await locks.wait('k', 5), false)
  assert.equal(await locks.wait('free', 5), true)
})
