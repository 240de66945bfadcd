import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loggedChanges } from '../../../src/control/pipeline.ts'

test('the config-applied log lists up to 100 changes, then counts the rest', () => {
  const few = ['+locations.a', '~basic']
  assert.equal(loggedChanges(few), few)
  const many = Array.from({ length: 10_000 }, (_, i) => `~locations.l${i}`)
  const logged = loggedChanges(many)
  assert.equal(logged.length, 101)
  assert.equal(logged[99], '~locations.l99')
  assert.equal(logged[100], '… and 9900 more')
})
