import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { hashKeyFor } from '../../../../src/upstream/selectors/hash-key.ts'
import { fakeContext } from '../fixtures.ts'

const ctx = fakeContext({
  path: '/api/x',
  query: 'user=7&b=2',
  clientIp: '192.0.2.9',
  headers: { 'x-tenant': 'acme', cookie: 'a=1; sid=s-42' },
})

test('each hash kind reads its part of the request', () => {
  const cases = [
    { algo: 'hash', want: '/api/x' },
    { algo: 'hash:path', want: '/api/x' },
    { algo: 'hash:whatever', want: '/api/x' },
    { algo: 'hash:url', want: '/api/x?user=7&b=2' },
    { algo: 'hash:ip', want: '192.0.2.9' },
    { algo: 'hash:header:X-Tenant', want: 'acme' },
    { algo: 'hash:header:X-Missing', want: '' },
    { algo: 'hash:cookie:sid', want: 's-42' },
    { algo: 'hash:cookie:none', want: '' },
    { algo: 'hash:query:user', want: '7' },
    { algo: 'hash:query:none', want: '' },
  ]
  for (const { algo, want } of cases) assert.equal(hashKeyFor(algo, 'algo')(ctx), want, algo)
})

test('hash:url without a query is the path alone', () => {
  assert.equal(hashKeyFor('hash:url', 'algo')(fakeContext({ path: '/p' })), '/p')
})

test('a named kind without its name is a ConfigError at the given path', () => {
  for (const algo of ['hash:header', 'hash:cookie:', 'hash:query']) {
    assert.throws(
      () => hashKeyFor(algo, 'upstreams.app.algo'),
      (err: unknown) => err instanceof ConfigError && err.path === 'upstreams.app.algo',
      algo,
    )
  }
})
