import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HealthTracker } from '../../../../src/upstream/health/health-tracker.ts'

test('two failures mark a backend down, one success brings it back (defaults)', () => {
  const tracker = new HealthTracker()
  assert.equal(tracker.healthy, true)
  assert.equal(tracker.record(false), false)
  assert.equal(tracker.healthy, true)
  assert.equal(tracker.record(false), true)
  assert.equal(tracker.healthy, false)
  assert.equal(tracker.record(false), false)
  assert.equal(tracker.record(true), true)
  assert.equal(tracker.healthy, true)
})

test('a success between failures resets the failure count', () => {
  const tracker = new HealthTracker(1, 2)
  const flips = [false, true, false, true, false].map((ok) => tracker.record(ok))
  assert.deepEqual(flips, [false, false, false, false, false])
  assert.equal(tracker.healthy, true)
})

test('custom thresholds: 3 successes to recover, 1 failure to fail', () => {
  const tracker = new HealthTracker(3, 1)
  assert.equal(tracker.record(false), true)
  assert.deepEqual(
    [true, true, false, true, true].map((ok) => tracker.record(ok)),
    [false, false, false, false, false],
  )
  assert.equal(tracker.record(true), true)
  assert.equal(tracker.healthy, true)
})

test('a tracker can start unhealthy (a flag carried across a reload)', () => {
  const tracker = new HealthTracker(1, 2, false)
  assert.equal(tracker.healthy, false)
  assert.equal(tracker.record(true), true)
})
