import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  DEFAULT_FILE_BYTES,
  DEFAULT_MEMORY_BYTES,
  parseStoreSpec,
} from '../../../../../src/plugins/builtin/cache/directory-spec.ts'

test('parseStoreSpec: memory and file caches with their settings', () => {
  assert.deepEqual(parseStoreSpec(''), {
    kind: 'memory',
    id: `memory:${DEFAULT_MEMORY_BYTES}`,
    maxBytes: DEFAULT_MEMORY_BYTES,
  })
  assert.equal(parseStoreSpec('memory://?max_size=10mb&mode=tinyufo').maxBytes, 10_000_000)
  const file = parseStoreSpec('/var/cache/p?levels=2:2&max_size=1GiB&inactive=1d&reading_max=9')
  assert.deepEqual(file, {
    kind: 'file',
    id: 'file:/var/cache/p',
    dir: '/var/cache/p',
    maxBytes: 1024 ** 3,
    levels: [2, 2],
    inactiveMs: 86_400_000,
  })
  assert.equal(parseStoreSpec('file:///tmp/c').kind, 'file')
  assert.equal(parseStoreSpec('/tmp/c').maxBytes, DEFAULT_FILE_BYTES)
})

test('parseStoreSpec refuses unknown or bad settings', () => {
  for (const bad of [
    'memory://?size=1',
    'memory://?max_size=lots',
    '/tmp/c?levels=3',
    '/tmp/c?inactive=soon',
    '/tmp/c?color=red',
  ]) {
    assert.throws(() => parseStoreSpec(bad), Error, bad)
  }
})
