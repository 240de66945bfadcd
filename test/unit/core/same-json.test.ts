import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sameJson } from '../../../src/core/same-json.ts'

test('sameJson compares JSON data structurally, whatever the key order', () => {
  const cases: Array<[name: string, a: unknown, b: unknown, same: boolean]> = [
    ['equal primitives', 'a', 'a', true],
    ['different strings', 'a', 'b', false],
    ['number and string', 1, '1', false],
    ['null and object', null, {}, false],
    ['key order', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    ['extra key', { a: 1 }, { a: 1, b: 2 }, false],
    ['missing key', { a: 1, b: 2 }, { a: 1 }, false],
    ['same key count, other keys', { a: 1 }, { b: 1 }, false],
    ['undefined value vs missing key', { a: undefined }, {}, false],
    ['array order', [1, 2], [2, 1], false],
    ['array length', [1], [1, 1], false],
    ['array and object', [1], { 0: 1 }, false],
    ['object and array', { 0: 1 }, [1], false],
    ['nested', { p: { q: ['x', { r: true }] } }, { p: { q: ['x', { r: true }] } }, true],
    [
      'nested difference',
      { p: { q: ['x', { r: true }] } },
      { p: { q: ['x', { r: false }] } },
      false,
    ],
  ]
  for (const [name, a, b, same] of cases) {
    assert.equal(sameJson(a, b), same, name)
    assert.equal(sameJson(b, a), same, `${name} (swapped)`)
  }
})
