import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  contentRange,
  evaluateRange,
  unsatisfiedRange,
  type RangeResult,
} from '../../../../../src/plugins/builtin/directory/range.ts'

const partial = (start: number, end: number): RangeResult => ({ kind: 'partial', start, end })
const NONE: RangeResult = { kind: 'none' }
const UNSAT: RangeResult = { kind: 'unsatisfiable' }

test('evaluateRange: single ranges against a 100-byte body', () => {
  const cases: Array<[string | undefined, RangeResult]> = [
    [undefined, NONE],
    ['bytes=0-9', partial(0, 9)],
    ['bytes=10-', partial(10, 99)],
    ['bytes=-10', partial(90, 99)],
    ['bytes=-500', partial(0, 99)],
    ['bytes=90-500', partial(90, 99)],
    ['bytes=99-99', partial(99, 99)],
    ['BYTES = 0-0', partial(0, 0)],
    ['bytes=0-9, 20-29', partial(0, 9)],
    ['bytes=100-', UNSAT],
    ['bytes=100-200', UNSAT],
    ['bytes=-0', UNSAT],
    ['bytes=9-0', NONE],
    ['bytes=a-b', NONE],
    ['bytes=-', NONE],
    ['items=0-9', NONE],
    ['bytes', NONE],
    ['bytes=99999999999999999999-', NONE],
  ]
  for (const [header, want] of cases) assert.deepEqual(evaluateRange(header, 100), want, header)
})

test('evaluateRange: an empty body satisfies no range', () => {
  assert.deepEqual(evaluateRange('bytes=0-', 0), UNSAT)
  assert.deepEqual(evaluateRange('bytes=-1', 0), UNSAT)
})

test('Content-Range values', () => {
  assert.equal(contentRange(0, 9, 100), 'bytes 0-9/100')
  assert.equal(unsatisfiedRange(100), 'bytes */100')
})
