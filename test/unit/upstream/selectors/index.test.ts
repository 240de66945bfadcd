import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { createSelector } from '../../../../src/upstream/selectors/index.ts'

test('createSelector picks the algorithm named by algo', () => {
  const cases = [
    { algo: undefined, want: 'round_robin' },
    { algo: '', want: 'round_robin' },
    { algo: 'round_robin', want: 'round_robin' },
    { algo: 'random', want: 'random' },
    { algo: 'hash', want: 'hash' },
    { algo: 'hash:ip', want: 'hash:ip' },
    { algo: 'hash:header:X-User', want: 'hash:header:X-User' },
  ]
  for (const { algo, want } of cases) assert.equal(createSelector(algo).algorithm, want, algo)
})

test('an unknown algo is a ConfigError naming the key', () => {
  for (const algo of ['least_conn', 'roundrobin', 'hashing']) {
    assert.throws(
      () => createSelector(algo, 'upstreams.app.algo'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'upstreams.app.algo' &&
        err.message.includes(`unknown algo "${algo}"`),
      algo,
    )
  }
})
