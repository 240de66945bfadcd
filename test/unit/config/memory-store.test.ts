import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigErrors } from '../../../src/core/errors.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { openConfigStore } from '../../../src/config/store.ts'
import { configStoreContract } from './config-store.contract.ts'

configStoreContract('memory store', () =>
  Promise.resolve({ store: new MemoryConfigStore(), cleanup: () => Promise.resolve() }),
)

describe('memory store', () => {
  test('keys act as file names in sources and errors', async () => {
    const store = new MemoryConfigStore({
      'pingap.toml': '[upstreams.u]\naddrs = ["127.0.0.1:1"]\n',
      'locations/l.toml': '[locations.l]\nupstream = "u"\nhots = "x"\n',
    })
    const loaded = await store.load()
    assert.equal(loaded.sources.get('locations.l'), 'locations/l.toml')
    assert.throws(
      () => parseConfig(loaded),
      (err: unknown) => {
        assert.ok(err instanceof ConfigErrors)
        assert.equal(err.errors[0]?.file, 'locations/l.toml')
        return true
      },
    )
  })

  test('a syntax error names the key, line and column', async () => {
    const store = new MemoryConfigStore({ 'pingap.toml': '[basic]\nname = \n' })
    await assert.rejects(store.load(), (err: unknown) => {
      assert.ok(err instanceof ConfigErrors)
      assert.equal(err.errors[0]?.file, 'pingap.toml')
      assert.match(err.errors[0]?.path ?? '', /^line 2, column \d+$/)
      return true
    })
  })

  test('watch reports set() calls, coalesced, and not its own saves', async () => {
    const store = new MemoryConfigStore({ 'pingap.toml': '' })
    const controller = new AbortController()
    const iterator = store.watch(controller.signal)[Symbol.asyncIterator]()
    const first = iterator.next()
    store.set('pingap.toml', '[basic]\nname = "a"\n')
    store.set('pingap.toml', '[basic]\nname = "b"\n')
    assert.equal((await first).done, false)
    await store.save('basic', '', { name: 'c' })
    const second = iterator.next()
    controller.abort()
    assert.equal((await second).done, true)
  })

  test('save moves an item out of the single document, as the file store does', async () => {
    const store = new MemoryConfigStore({
      'pingap.toml':
        '# quick start\n[upstreams.u]\naddrs = ["127.0.0.1:1"]\n\n[locations.l]\nupstream = "u"\n',
    })
    await store.save('upstreams', 'u', { addrs: ['127.0.0.1:2'] })
    assert.deepEqual(store.snapshot(), {
      'pingap.toml': '# quick start\n[locations.l]\nupstream = "u"\n',
      'upstreams/u.toml': '[upstreams.u]\naddrs = [ "127.0.0.1:2" ]\n',
    })
  })

  test('openConfigStore: memory:// is an empty memory store; etcd:// needs a host', async () => {
    assert.deepEqual((await openConfigStore('memory://').load()).raw, {})
    assert.equal(
      openConfigStore('etcd://127.0.0.1:2379/pingap').url,
      'etcd://127.0.0.1:2379/pingap',
    )
    assert.throws(() => openConfigStore('etcd:///pingap'), /names no host/)
    assert.throws(() => openConfigStore('/etc/pingap/pingap.hcl'), /HCL and KDL/)
  })
})
