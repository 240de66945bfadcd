/**
 * The real pipeline in-process: App.start on an in-memory store, real upstreams on port 0.
 * Faster than spawning the binary, so most behaviour tests of the glue live here.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { App } from '../../src/app.ts'
import { MemoryConfigStore } from '../../src/config/memory-store.ts'
import { request } from '../helpers/http.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

describe('the pipeline in one process', () => {
  let up: TestUpstream
  let store: MemoryConfigStore
  let app: App
  let web: string

  const locations = (extra = ''): string =>
    '[locations.api]\npath = "/api"\nupstream = "app"\nrewrite = "^/api/(.*)$ /v1/$1"\n' +
    'plugins = ["pingap:requestId", "headers"]\n\n' +
    '[locations.mock]\npath = "=/mock"\nplugins = ["hello", "headers"]\n' +
    extra

  before(async () => {
    up = await startUpstream(undefined, 'app')
    store = new MemoryConfigStore({
      'servers.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["api", "mock"]\n',
      'upstreams.toml': `[upstreams.app]\naddrs = ["${up.addr}"]\n`,
      'locations.toml': locations(),
      'plugins.toml':
        '[plugins.hello]\ncategory = "mock"\ndata = "hi"\n\n' +
        '[plugins.headers]\ncategory = "response_headers"\nadd_headers = ["X-Added: yes"]\n',
    })
    app = await App.start({ store, autoreload: false })
    web = `http://${app.listeners.addresses().get('web')![0]!}`
  })

  after(async () => {
    await app.shutdown()
    await up.close()
  })

  test('a proxied request is rewritten, gets a request id and response headers', async () => {
    const res = await request(web, '/api/users?x=1')
    assert.equal(res.status, 200)
    assert.equal(res.body, 'app GET /v1/users?x=1')
    assert.equal(res.headers['x-added'], 'yes')
    assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/)
    assert.equal(up.seen.at(-1)?.headers['x-request-id'], res.headers['x-request-id'])
  })

  test('a plugin response skips the response plugins (spec §14.47)', async () => {
    const res = await request(web, '/mock')
    assert.equal(res.status, 200)
    assert.equal(res.body, 'hi')
    assert.equal(res.headers['x-added'], undefined)
    assert.equal(res.headers['cache-control'], 'private, no-cache')
  })

  test('a reload through the pipeline swaps the snapshot and reports the changes', async () => {
    store.set(
      'locations.toml',
      locations('\n[locations.extra]\npath = "/extra"\nplugins = ["hello"]\n'),
    )
    store.set(
      'servers.toml',
      '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["api", "mock", "extra"]\n',
    )
    const result = await app.reload('test')
    assert.equal(result.status, 'applied')
    assert.ok(result.status === 'applied' && result.changes.includes('+locations.extra'))
    assert.equal((await request(web, '/extra')).body, 'hi')
    // The listener on port 0 was kept: the address did not change.
    assert.equal(`http://${app.listeners.addresses().get('web')![0]!}`, web)
  })

  test('an invalid reload is rejected and the previous version keeps serving', async () => {
    const before = app.runtime.current
    store.set('upstreams.toml', '[upstreams.app]\naddrs = []\n')
    const result = await app.reload('test')
    assert.equal(result.status, 'rejected')
    assert.ok(
      result.status === 'rejected' && result.errors.some((e) => e.includes('upstreams.app.addrs')),
    )
    assert.equal(app.runtime.current, before)
    assert.equal((await request(web, '/api/x')).status, 200)
    assert.ok(app.pipeline.lastRejection !== undefined)
  })
})
