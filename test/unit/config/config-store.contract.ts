/** What every ConfigStore must do; each store's test file calls configStoreContract(). */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import type { ConfigStore } from '../../../src/config/store.ts'

/** A fresh, empty store and a way to dispose of it. */
export interface StoreFixture {
  readonly store: ConfigStore
  cleanup(): Promise<void>
}

async function withStore(
  open: () => Promise<StoreFixture>,
  fn: (store: ConfigStore) => Promise<void>,
) {
  const fixture = await open()
  try {
    await fn(fixture.store)
  } finally {
    await fixture.store.close()
    await fixture.cleanup()
  }
}

/** Registers the shared ConfigStore tests under `name`. */
export function configStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`${name} (ConfigStore contract)`, () => {
    test('an empty store loads as an empty, valid config', () =>
      withStore(open, async (store) => {
        const loaded = await store.load()
        assert.deepEqual(loaded.raw, {})
        assert.equal(loaded.sources.size, 0)
        assert.deepEqual(parseConfig(loaded).servers, {})
      }))

    test('save then load returns the item, with its source', () =>
      withStore(open, async (store) => {
        await store.save('upstreams', 'api', { addrs: ['127.0.0.1:8080'], idle_timeout: '30s' })
        await store.save('basic', '', { name: 'contract' })
        const loaded = await store.load()
        assert.deepEqual(
          { ...(loaded.raw['upstreams'] as object) },
          {
            api: { addrs: ['127.0.0.1:8080'], idle_timeout: '30s' },
          },
        )
        assert.deepEqual(loaded.raw['basic'], { name: 'contract' })
        assert.ok(loaded.sources.has('upstreams.api'))
        assert.ok(loaded.sources.has('basic'))
        assert.equal(parseConfig(loaded).upstreams['api']?.idle_timeout, '30s')
      }))

    test('save replaces an item and undefined deletes it', () =>
      withStore(open, async (store) => {
        await store.save('locations', 'l', { path: '/a' })
        await store.save('locations', 'l', { path: '/b' })
        await store.save('locations', 'other', { path: '/o' })
        let raw = (await store.load()).raw
        assert.deepEqual(raw['locations'], { l: { path: '/b' }, other: { path: '/o' } })
        await store.save('locations', 'l', undefined)
        raw = (await store.load()).raw
        assert.deepEqual(raw['locations'], { other: { path: '/o' } })
        await store.save('locations', 'never-existed', undefined)
      }))

    test('names that could escape the config directory are refused', () =>
      withStore(open, async (store) => {
        for (const bad of ['../x', 'a/b', 'a\\b', 'x\0y', '', '.hidden']) {
          await assert.rejects(
            store.save('locations', bad, { path: '/' }),
            ConfigError,
            JSON.stringify(bad),
          )
        }
        assert.deepEqual((await store.load()).raw, {})
      }))

    test('watch ends when its signal aborts', () =>
      withStore(open, async (store) => {
        const controller = new AbortController()
        const iterator = store.watch(controller.signal)[Symbol.asyncIterator]()
        const next = iterator.next()
        controller.abort()
        assert.deepEqual(await next, { done: true, value: undefined })
      }))
  })
}
