import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { closest, editDistance, suggestionText } from '../../../src/config/suggest.ts'
import { LOCATION_SCHEMA, SERVER_SCHEMA, UPSTREAM_SCHEMA } from '../../../src/config/schema.ts'

describe('editDistance', () => {
  const cases = [
    ['', '', 0],
    ['abc', 'abc', 0],
    ['abc', 'abd', 1],
    ['abc', 'acb', 1],
    ['upstrem', 'upstream', 1],
    ['kitten', 'sitting', 3],
  ] as const
  for (const [a, b, want] of cases)
    test(`${a} / ${b}`, () => assert.equal(editDistance(a, b), want))
})

describe('suggestions', () => {
  const locationKeys = Object.keys(LOCATION_SCHEMA.keys)
  const cases = [
    ['upstrem', locationKeys, 'upstream'],
    ['Path', locationKeys, 'path'],
    ['proxy_set_header', locationKeys, 'proxy_set_headers'],
    ['tcp_fast_open', Object.keys(SERVER_SCHEMA.keys), 'tcp_fastopen'],
    ['tcp_fastopen', Object.keys(UPSTREAM_SCHEMA.keys), 'tcp_fast_open'],
    ['adr', Object.keys(SERVER_SCHEMA.keys), 'addr'],
    ['x', locationKeys, undefined],
    ['completely_unrelated', locationKeys, undefined],
  ] as const
  for (const [input, keys, want] of cases) {
    test(input, () => assert.equal(closest(input, keys), want))
  }
  test('text form', () => {
    assert.equal(suggestionText('upstrem', locationKeys), ', did you mean `upstream`?')
    assert.equal(suggestionText('zzz', locationKeys), '')
  })
})
