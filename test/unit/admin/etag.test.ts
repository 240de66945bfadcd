import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  checkGlobal,
  checkItem,
  globalEtag,
  itemEtag,
  readPrecondition,
} from '../../../src/admin/etag.ts'
import type { ConfigVersion } from '../../../src/control/versions.ts'
import { AdminError } from '../../../src/admin/errors.ts'

const current = { number: 7, hash: 'abcdef0123456789' } as ConfigVersion

function status(fn: () => void): number {
  try {
    fn()
    return 200
  } catch (err) {
    assert.ok(err instanceof AdminError)
    return err.status
  }
}

test('ETags name a version or an item content', () => {
  assert.equal(globalEtag(current), '"7-abcdef012345"')
  assert.equal(itemEtag({ a: 1, b: 2 }), itemEtag({ b: 2, a: 1 }))
  assert.notEqual(itemEtag({ a: 1 }), itemEtag({ a: 2 }))
})

test('preconditions: 428 without, 412 when stale, ok when current', () => {
  const item = { addrs: ['x'] }
  const read = (headers: Record<string, string>, base?: unknown) => readPrecondition(headers, base)
  const cases: Array<[string, () => void, number]> = [
    ['global none', () => checkGlobal(read({}), current), 428],
    ['global current', () => checkGlobal(read({ 'if-match': '"7-abcdef012345"' }), current), 200],
    ['global weak', () => checkGlobal(read({ 'if-match': 'W/"7-abcdef012345"' }), current), 200],
    ['global stale', () => checkGlobal(read({ 'if-match': '"6-abcdef012345"' }), current), 412],
    ['global base', () => checkGlobal(read({}, 7), current), 200],
    ['global stale base', () => checkGlobal(read({}, 6), current), 412],
    ['item none', () => checkItem(read({}), current, item), 428],
    ['item etag', () => checkItem(read({ 'if-match': itemEtag(item) }), current, item), 200],
    ['item stale', () => checkItem(read({ 'if-match': itemEtag({}) }), current, item), 412],
    [
      'item by version',
      () => checkItem(read({ 'if-match': globalEtag(current) }), current, item),
      200,
    ],
    ['create', () => checkItem(read({ 'if-none-match': '*' }), current, undefined), 200],
    ['create existing', () => checkItem(read({ 'if-none-match': '*' }), current, item), 412],
    ['star on missing', () => checkItem(read({ 'if-match': '*' }), current, undefined), 412],
  ]
  for (const [name, fn, expected] of cases) assert.equal(status(fn), expected, name)
})
