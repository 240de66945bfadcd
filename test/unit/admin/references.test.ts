import assert from 'node:assert/strict'
import { test } from 'node:test'
import { applyChanges, changesBetween, saveOrder } from '../../../src/admin/candidate.ts'
import { referrers } from '../../../src/admin/references.ts'

const doc = {
  servers: { web: { addr: ':80', locations: ['app'], includes: ['common'] } },
  locations: { app: { upstream: 'api', plugins: ['auth'] } },
  upstreams: { api: { addrs: ['x'] } },
  plugins: {
    auth: { category: 'ping' },
    split: { category: 'traffic_splitting', upstream: 'api' },
  },
  storages: { common: { value: 'a = 1' } },
}

test('referrers names every item that still refers to one', () => {
  assert.deepEqual(referrers(doc, 'locations', 'app'), ['servers.web.locations'])
  assert.deepEqual(referrers(doc, 'upstreams', 'api'), [
    'locations.app.upstream',
    'plugins.split.upstream',
  ])
  assert.deepEqual(referrers(doc, 'plugins', 'auth'), ['locations.app.plugins'])
  assert.deepEqual(referrers(doc, 'storages', 'common'), ['servers.web.includes'])
  assert.deepEqual(referrers(doc, 'certificates', 'c'), [])
})

test('changes: apply, diff two documents, save in dependency order', () => {
  const next = applyChanges(doc, [
    { category: 'upstreams', name: 'b', value: { addrs: ['y'] } },
    { category: 'plugins', name: 'split', value: undefined },
  ])
  assert.deepEqual(Object.keys(next['upstreams'] as object), ['api', 'b'])
  assert.deepEqual(Object.keys(next['plugins'] as object), ['auth'])
  assert.deepEqual(Object.keys(doc.plugins), ['auth', 'split'], 'input untouched')
  const changes = changesBetween(doc, next)
  assert.deepEqual(
    changes.map((c) => `${c.category}.${c.name}:${c.value === undefined ? 'del' : 'put'}`),
    ['upstreams.b:put', 'plugins.split:del'],
  )
  const order = saveOrder([
    { category: 'servers', name: 's', value: {} },
    { category: 'upstreams', name: 'gone', value: undefined },
    { category: 'upstreams', name: 'u', value: {} },
    { category: 'locations', name: 'gone', value: undefined },
  ])
  assert.deepEqual(
    order.map((c) => `${c.category}.${c.name}`),
    ['upstreams.u', 'servers.s', 'locations.gone', 'upstreams.gone'],
  )
})
