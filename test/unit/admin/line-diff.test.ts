import assert from 'node:assert/strict'
import { test } from 'node:test'
import { diffLines, unifiedText } from '../../../src/admin/line-diff.ts'

test('diffLines keeps common lines and marks the rest', () => {
  const lines = diffLines('a\nb\nc\n', 'a\nx\nc\nd\n')
  assert.deepEqual(
    lines.map((l) => `${l.op}${l.text}`),
    [' a', '-b', '+x', ' c', '+d'],
  )
  assert.deepEqual(diffLines('', 'a'), [{ op: '+', text: 'a' }])
  assert.equal(unifiedText(diffLines('a', 'a'), 'x', 'y'), '')
  assert.equal(unifiedText(diffLines('a', 'b'), 'x', 'y'), '--- x\n+++ y\n-a\n+b\n')
})
