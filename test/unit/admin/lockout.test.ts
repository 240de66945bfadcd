import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FailureLimiter } from '../../../src/admin/lockout.ts'

test('an IP is blocked after `limit` failures within the window, then released', () => {
  const limiter = new FailureLimiter(3, 1000)
  const t0 = 1_000_000
  for (let i = 1; i <= 2; i++) assert.equal(limiter.fail('1.1.1.1', t0 + i), i)
  assert.equal(limiter.blocked('1.1.1.1', t0 + 3), false)
  limiter.fail('1.1.1.1', t0 + 4)
  assert.equal(limiter.blocked('1.1.1.1', t0 + 5), true)
  assert.equal(limiter.blocked('2.2.2.2', t0 + 5), false, 'per IP')
  assert.equal(limiter.blocked('1.1.1.1', t0 + 2000), false, 'window over')
  assert.equal(new FailureLimiter(0).blocked('x'), false, '0 = off')
})
