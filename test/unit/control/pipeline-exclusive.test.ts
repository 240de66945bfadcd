import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { ConfigPipeline } from '../../../src/control/pipeline.ts'
import { VersionLog } from '../../../src/control/versions.ts'

test('exclusive() keeps runs out of a multi-file write; runs asked for meanwhile come after', async () => {
  const store = new MemoryConfigStore({
    'upstreams/a.toml': '[upstreams.a]\naddrs = ["127.0.0.1:1"]\n',
  })
  const versions = new VersionLog()
  const pipeline = new ConfigPipeline({ store, versions, dataPlane: { publish: async () => {} } })
  await pipeline.run('startup')
  let during: Promise<unknown> | undefined
  await pipeline.exclusive(async () => {
    store.set('upstreams/b.toml', '[upstreams.b]\naddrs = ["127.0.0.1:2"]\n')
    // A watcher would run now and see a location without its upstream (or half a change).
    during = pipeline.run('file-change')
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(versions.current?.number, 1, 'no run inside exclusive()')
    store.set('locations/l.toml', '[locations.l]\nupstream = "b"\n')
  })
  await during
  assert.equal(versions.current?.number, 2)
  assert.deepEqual(versions.current?.changes, ['+locations.l', '+upstreams.b'])
  assert.equal(pipeline.lastRejection, undefined)
})
