import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryStore } from '../../../../../src/plugins/builtin/cache/memory-store.ts'
import type { StoredMeta } from '../../../../../src/plugins/builtin/cache/store.ts'

function meta(size: number, vary: string[] = []): StoredMeta {
  return { status: 200, headers: [], storedAt: 0, age: 0, freshUntil: 1, staleUntil: 1, vary, size }
}

test('memory store evicts the least recently used entries beyond its budget', () => {
  const store = new MemoryStore(3000)
  const body = Buffer.alloc(700)
  for (const p of ['a', 'b', 'c']) store.put(p, 'GET', 'GET', meta(700), body)
  assert.equal(store.size, 3)
  assert.ok(store.get('a', 'GET')) // a is now the most recent
  store.put('d', 'GET', 'GET', meta(700), body)
  assert.equal(store.get('b', 'GET'), undefined)
  assert.ok(store.get('a', 'GET'))
  assert.ok(store.get('d', 'GET'))
  assert.ok(store.bytes <= 3000)
  store.put('huge', 'GET', 'GET', meta(5000), Buffer.alloc(5000))
  assert.equal(store.get('huge', 'GET'), undefined)
})

test('memory store keeps Vary names per secondary key and purges every variant', () => {
  const store = new MemoryStore(100_000)
  store.put('p', 'GET', 'GET\u0001en', meta(1, ['accept-language']), Buffer.from('e'))
  store.put('p', 'GET', 'GET\u0001fr', meta(1, ['accept-language']), Buffer.from('f'))
  store.put('ns\u0000h\u0000/q', 'GET', 'GET', meta(1), Buffer.from('q'))
  assert.deepEqual(store.varyOf('p', 'GET'), ['accept-language'])
  assert.equal(store.get('p', 'GET\u0001fr')?.body?.toString(), 'f')
  assert.equal(store.purge('p'), 2)
  assert.equal(store.get('p', 'GET\u0001en'), undefined)
  assert.deepEqual(store.varyOf('p', 'GET'), [])
  assert.deepEqual(store.purgePrefix('ns\u0000'), { purged: 1, failed: 0 })
  assert.equal(store.size, 0)
  assert.equal(store.bytes, 0)
})
