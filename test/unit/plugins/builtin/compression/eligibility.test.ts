import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import { test } from 'node:test'
import {
  addVary,
  downstreamEligible,
  markEncoded,
  upstreamEligible,
} from '../../../../../src/plugins/builtin/compression/eligibility.ts'

test('downstreamEligible: compressible, unencoded, whole bodies only', () => {
  const cases: Array<[number, OutgoingHttpHeaders, boolean]> = [
    [200, { 'content-type': 'text/html; charset=utf-8' }, true],
    [200, { 'content-type': 'application/json' }, true],
    [200, { 'content-type': 'application/ld+json' }, true],
    [200, { 'content-type': 'application/javascript' }, true],
    [200, { 'content-type': 'image/svg+xml' }, true],
    [404, { 'content-type': 'text/plain' }, true],
    [200, { 'content-type': 'image/png' }, false],
    [200, { 'content-type': 'text/event-stream' }, false],
    [200, {}, false],
    [200, { 'content-type': 'text/plain', 'content-encoding': 'br' }, false],
    [200, { 'content-type': 'text/plain', 'content-encoding': 'identity' }, true],
    [200, { 'content-type': 'text/plain', 'cache-control': 'public, no-transform' }, false],
    [200, { 'content-type': 'text/plain', 'content-length': '5' }, false],
    [200, { 'content-type': 'text/plain', 'content-length': '500' }, true],
    [206, { 'content-type': 'text/plain', 'content-range': 'bytes 0-1/9' }, false],
    [204, { 'content-type': 'text/plain' }, false],
    [304, { 'content-type': 'text/plain' }, false],
  ]
  for (const [status, headers, want] of cases) {
    assert.equal(downstreamEligible(status, headers), want, JSON.stringify([status, headers]))
  }
})

test('upstreamEligible: Pingap type list and min_length', () => {
  assert.ok(upstreamEligible(200, { 'content-type': 'application/json' }, 0))
  assert.ok(!upstreamEligible(200, { 'content-type': 'application/javascript' }, 0))
  assert.ok(!upstreamEligible(200, { 'content-type': 'text/html', 'content-length': '10' }, 100))
  assert.ok(upstreamEligible(200, { 'content-type': 'text/html', 'content-length': '100' }, 100))
  assert.ok(upstreamEligible(200, { 'content-type': 'text/html' }, 100))
})

test('addVary appends once and respects *', () => {
  const h: OutgoingHttpHeaders = {}
  addVary(h)
  addVary(h)
  assert.equal(h['vary'], 'Accept-Encoding')
  const o: OutgoingHttpHeaders = { vary: 'Origin' }
  addVary(o)
  assert.deepEqual(o['vary'], ['Origin', 'Accept-Encoding'])
  const star: OutgoingHttpHeaders = { vary: '*' }
  addVary(star)
  assert.equal(star['vary'], '*')
})

test('markEncoded drops the length and weakens a strong ETag', () => {
  const h: OutgoingHttpHeaders = { 'content-length': '10', etag: '"abc"' }
  markEncoded(h, 'gzip')
  assert.deepEqual(h, { etag: 'W/"abc"', 'content-encoding': 'gzip' })
  const d: OutgoingHttpHeaders = { 'content-encoding': 'br', etag: 'W/"x"' }
  markEncoded(d, '')
  assert.deepEqual(d, { etag: 'W/"x"' })
})
