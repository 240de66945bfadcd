import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildDeps } from '../../../src/app.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import type { PingapConfig } from '../../../src/config/types.ts'
import { buildSnapshot } from '../../../src/runtime/build.ts'
import type { Snapshot } from '../../../src/runtime/snapshot.ts'

async function config(locations: string, plugin = 'v1'): Promise<PingapConfig> {
  const store = new MemoryConfigStore({
    'pingap.toml':
      '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n' +
      `[plugins.p]\ncategory = "mock"\ndata = "${plugin}"\n` +
      locations +
      '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["a", "b", "c"]\n',
  })
  return parseConfig(await store.load())
}

const A = '[locations.a]\npath = "/a"\nupstream = "u"\n'
const B = '[locations.b]\npath = "/b"\nupstream = "u"\nplugins = ["p"]\n'
const C = (path: string): string => `[locations.c]\npath = "${path}"\nupstream = "u"\n`

function location(snapshot: Snapshot, name: string): unknown {
  return snapshot.servers.get('web')?.locations.get(name)
}

test('a reload reuses unchanged locations whole and rebuilds changed ones', async () => {
  const deps = buildDeps()
  const first = buildSnapshot(await config(A + B + C('/c')), undefined, 1, deps)
  const second = buildSnapshot(await config(A + B + C('/c2')), first, 2, deps)
  assert.equal(location(second, 'a'), location(first, 'a'))
  assert.equal(location(second, 'b'), location(first, 'b'))
  assert.notEqual(location(second, 'c'), location(first, 'c'))
  const router = second.servers.get('web')!.router
  const input = { host: 'x', path: '/c2/y', query: '', headers: {} }
  assert.equal(router.route(input)?.location.name, 'c')
  await Promise.all([...second.upstreams.values()].map((u) => u.close()))
})

test('a location whose plugin changed is rebuilt, so its chain holds the new plugin', async () => {
  const deps = buildDeps()
  const first = buildSnapshot(await config(A + B + C('/c')), undefined, 1, deps)
  const second = buildSnapshot(await config(A + B + C('/c'), 'v2'), first, 2, deps)
  assert.equal(location(second, 'a'), location(first, 'a'))
  assert.notEqual(location(second, 'b'), location(first, 'b'))
  assert.notEqual(second.plugins.get('p'), first.plugins.get('p'))
  const chains = second.servers.get('web')!.locations.get('b')!.chains
  const plugins = Object.values(chains.request).flatMap((list) => list ?? [])
  assert.ok(plugins.includes(second.plugins.get('p') as (typeof plugins)[number]))
  await Promise.all([...second.upstreams.values()].map((u) => u.close()))
})

test('a change that leaves routing alone keeps the matcher and the router; a path change does not', async () => {
  const deps = buildDeps()
  const headers = (value: string): string =>
    `[locations.c]\npath = "/c"\nupstream = "u"\nproxy_set_headers = ["X-V: ${value}"]\n`
  const first = buildSnapshot(await config(A + B + headers('1')), undefined, 1, deps)
  const second = buildSnapshot(await config(A + B + headers('2')), first, 2, deps)
  const web1 = first.servers.get('web')!
  const web2 = second.servers.get('web')!
  assert.notEqual(web2.locations.get('c'), web1.locations.get('c'))
  assert.equal(web2.locations.get('c')!.matcher, web1.locations.get('c')!.matcher)
  assert.equal(web2.router, web1.router)
  const rule = web2.locations.get('c')!.headerRules!.set[0]!
  assert.equal(rule.value({} as Parameters<typeof rule.value>[0]), '2')
  // Reused again on the next reload: the reuse check compares with the conf it was built from.
  const third = buildSnapshot(await config(A + B + headers('2')), second, 3, deps)
  assert.equal(third.servers.get('web')!.locations.get('c'), web2.locations.get('c'))
  const fourth = buildSnapshot(await config(A + B + C('/moved')), third, 4, deps)
  const web4 = fourth.servers.get('web')!
  assert.notEqual(web4.router, web2.router)
  const input = { host: 'x', path: '/moved/1', query: '', headers: {} }
  assert.equal(web4.router.route(input)?.location.name, 'c')
  await Promise.all([...fourth.upstreams.values()].map((u) => u.close()))
})
