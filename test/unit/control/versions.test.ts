import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseConfig } from '../../../src/config/parse.ts'
import { VersionLog, deltaOf } from '../../../src/control/versions.ts'

function config(port: number, extra: Record<string, unknown> = {}) {
  return parseConfig({
    raw: {
      upstreams: { u: { addrs: [`127.0.0.1:${port}`] }, v: { addrs: ['127.0.0.1:9000'] } },
      locations: { a: { upstream: 'v' }, ...extra },
      servers: { s: { addr: '127.0.0.1:0', locations: ['a'] } },
    },
    sources: new Map(),
  })
}

test('deltaOf lists changes and shares every unchanged item with the previous config', () => {
  const before = config(1)
  const after = config(2, { b: { upstream: 'v', path: '/b' } })
  const { changes, shared } = deltaOf(before, after)
  assert.deepEqual(changes.sort(), ['+locations.b', '~upstreams.u'])
  assert.equal(shared.hash, after.hash)
  assert.deepEqual(shared, { ...after })
  assert.equal(shared.upstreams['v'], before.upstreams['v'], 'unchanged: the old object')
  assert.equal(shared.locations['a'], before.locations['a'])
  assert.equal(shared.basic, before.basic)
  assert.equal(shared.upstreams['u'], after.upstreams['u'], 'changed: the new object')
  assert.deepEqual(deltaOf(after, before).changes.sort(), ['-locations.b', '~upstreams.u'])
})

test('recorded versions hold shared configs with the applied content', () => {
  const log = new VersionLog()
  const first = log.record(config(1), 'startup')
  const second = log.record(config(2), 'file-change')
  assert.deepEqual(second.changes, ['~upstreams.u'])
  assert.equal(second.config.locations['a'], first.config.locations['a'])
  assert.deepEqual(second.config, { ...config(2) })
})
