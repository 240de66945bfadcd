import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  accepts,
  chooseEncoding,
  parseAcceptEncoding,
} from '../../../../../src/plugins/builtin/compression/accept.ts'

test('parseAcceptEncoding reads tokens and q-values', () => {
  assert.deepEqual(
    [...parseAcceptEncoding('gzip;q=0.5, BR, identity;q=0, *;q=0.1').entries()],
    [
      ['gzip', 0.5],
      ['br', 1],
      ['identity', 0],
      ['*', 0.1],
    ],
  )
})

test('accepts honours q=0 and the * wildcard', () => {
  const a = parseAcceptEncoding('gzip;q=0, *')
  assert.ok(!accepts(a, 'gzip'))
  assert.ok(accepts(a, 'br'))
  assert.ok(!accepts(parseAcceptEncoding('deflate'), 'gzip'))
  assert.ok(!accepts(parseAcceptEncoding('*;q=0'), 'gzip'))
})

test('chooseEncoding follows the plugin priority among accepted codings', () => {
  const all = ['zstd', 'br', 'gzip'] as const
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['gzip, deflate, br', 'br'],
    ['gzip;q=1, br;q=0.1', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['x-gzip', undefined],
    ['*', 'zstd'],
    ['identity', undefined],
  ]
  for (const [header, want] of cases) assert.equal(chooseEncoding(header, all), want, header)
  assert.equal(chooseEncoding('gzip, br', ['gzip']), 'gzip')
  assert.equal(chooseEncoding('br', ['gzip']), undefined)
})
