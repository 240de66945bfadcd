import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import { test } from 'node:test'
import { freshness, parseCacheControl } from '../../../../../src/plugins/builtin/cache/freshness.ts'

const NOW = Date.UTC(2025, 0, 1)
const loose = { maxTtlMs: 0, checkCacheControl: false }

test('parseCacheControl reads directives and quoted values', () => {
  assert.deepEqual(
    [...parseCacheControl('public, Max-Age=60, no-cache="set-cookie"').entries()],
    [
      ['public', undefined],
      ['max-age', '60'],
      ['no-cache', 'set-cookie'],
    ],
  )
})

test('freshness: what may be stored, and for how long', () => {
  const date = new Date(NOW).toUTCString()
  const cases: Array<[number, OutgoingHttpHeaders, number | undefined]> = [
    [200, { 'cache-control': 'max-age=60' }, 60_000],
    [200, { 'cache-control': 'public, s-maxage=10, max-age=60' }, 10_000],
    [200, { 'cache-control': 'max-age=60', age: '15' }, 45_000],
    [200, { 'cache-control': 'max-age=10', age: '15' }, undefined],
    [200, { 'cache-control': 'max-age=0' }, undefined],
    [200, { 'cache-control': 'no-store, max-age=60' }, undefined],
    [200, { 'cache-control': 'no-cache' }, undefined],
    [200, { 'cache-control': 'private, max-age=60' }, undefined],
    [200, { 'cache-control': 'public' }, undefined],
    [200, { 'cache-control': 'max-age=60', 'set-cookie': 'a=1' }, undefined],
    [200, { 'cache-control': 'max-age=60', vary: 'Origin, *' }, undefined],
    [200, {}, 1000],
    [200, { expires: new Date(NOW + 30_000).toUTCString(), date }, 30_000],
    [200, { expires: 'garbage' }, undefined],
    [404, { 'cache-control': 'max-age=5' }, 5000],
    [500, { 'cache-control': 'max-age=60' }, undefined],
    [206, { 'cache-control': 'max-age=60' }, undefined],
  ]
  for (const [status, headers, want] of cases) {
    assert.equal(freshness(status, headers, loose, NOW)?.ttlMs, want, JSON.stringify(headers))
  }
})

test('freshness: check_cache_control, max_ttl and stale-while-revalidate', () => {
  assert.equal(freshness(200, {}, { maxTtlMs: 0, checkCacheControl: true }, NOW), undefined)
  const capped = freshness(
    200,
    { 'cache-control': 'max-age=600' },
    { ...loose, maxTtlMs: 5000 },
    NOW,
  )
  assert.equal(capped?.ttlMs, 5000)
  const swr = freshness(
    200,
    { 'cache-control': 'max-age=1, stale-while-revalidate=30' },
    loose,
    NOW,
  )
  assert.equal(swr?.staleMs, 30_000)
  const strict = freshness(
    200,
    { 'cache-control': 'max-age=1, stale-while-revalidate=30, must-revalidate' },
    loose,
    NOW,
  )
  assert.equal(strict?.staleMs, 0)
})
