import assert from 'node:assert/strict'
import { test } from 'node:test'
import { contextGetter, contextValue, isContextKey } from '../../../src/core/context-values.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

test('context keys read the request context', () => {
  const ctx = fakeContext({
    connectionId: 42,
    connectionReused: true,
    location: 'api',
    upstreamAddr: '10.0.0.1:8080',
    upstreamReused: false,
    upstreamStatus: 502,
    upstreamTimings: { connect: 3.9, processing: 1500, response: 120_000 },
  })
  const cases: Array<[string, string | undefined]> = [
    ['connection_id', '42'],
    ['connection_reused', 'true'],
    ['location', 'api'],
    ['upstream_addr', '10.0.0.1:8080'],
    ['upstream_reused', 'false'],
    ['upstream_status', '502'],
    ['upstream_connect_time', '3'],
    ['upstream_connect_time_human', '3ms'],
    ['upstream_processing_time', '1500'],
    ['upstream_processing_time_human', '1.5s'],
    ['upstream_response_time', '120000'],
    ['upstream_response_time_human', '2m'],
  ]
  for (const [key, expected] of cases) assert.equal(contextValue(ctx, key), expected, key)
})

test('values a request does not have yet are undefined; upstream_status is "-"', () => {
  const ctx = fakeContext()
  for (const key of ['location', 'upstream_addr', 'upstream_reused', 'upstream_connect_time']) {
    assert.equal(contextValue(ctx, key), undefined, key)
  }
  assert.equal(contextValue(ctx, 'upstream_status'), '-')
})

test('service_time is the time since the request started', () => {
  const ctx = fakeContext({ startTime: performance.now() - 2000 })
  assert.ok(Number(contextValue(ctx, 'service_time')) >= 2000)
  assert.match(contextValue(ctx, 'service_time_human')!, /^2(\.\d)?s$/)
})

test('untracked keys are known but undefined; unknown keys have no getter', () => {
  const ctx = fakeContext()
  for (const key of ['tls_version', 'compression_ratio', 'cache_lookup_time_human', 'processing']) {
    assert.ok(isContextKey(key), key)
    assert.notEqual(contextGetter(key), undefined, key)
    assert.equal(contextValue(ctx, key), undefined, key)
  }
  for (const key of ['nope', '', 'constructor', 'toString', 'location_human']) {
    assert.equal(isContextKey(key), false, key)
    assert.equal(contextGetter(key), undefined, key)
  }
})
