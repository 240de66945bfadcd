import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { buildDeps } from '../../../src/app.ts'
import { ConfigErrors } from '../../../src/core/errors.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import type { PingapConfig } from '../../../src/config/types.ts'
import { deltaOf } from '../../../src/control/versions.ts'
import { buildSnapshot } from '../../../src/runtime/build.ts'
import type { Snapshot } from '../../../src/runtime/snapshot.ts'

// The pipeline hands the build a config whose unchanged items are the previous version's
// objects (control/prepare.ts); these cases build such configs with deltaOf and check the
// result against a build from scratch.

const LOCATIONS: Record<string, string> = {
  a: 'path = "/a"\nupstream = "u"\n',
  b: 'path = "/b"\nupstream = "u"\nproxy_set_headers = ["X-V: 1"]\n',
  c: 'path = "~^/c/(?<id>[0-9]+)$"\nupstream = "u"\n',
}

async function config(
  locations: Record<string, string>,
  listed = Object.keys(locations),
): Promise<PingapConfig> {
  const text = Object.entries(locations)
    .map(([name, body]) => `[locations.${name}]\n${body}`)
    .join('')
  const store = new MemoryConfigStore({
    'pingap.toml':
      '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n' +
      text +
      `[servers.web]\naddr = "127.0.0.1:0"\nlocations = ${JSON.stringify(listed)}\n`,
  })
  return parseConfig(await store.load())
}

const PATHS = ['/a/x', '/b', '/c/12', '/c/x', '/d/1', '/e']

function routes(snapshot: Snapshot): Array<string | undefined> {
  const router = snapshot.servers.get('web')!.router
  return PATHS.map(
    (path) => router.route({ host: 'x', path, query: '', headers: {} })?.location.name,
  )
}

function location(snapshot: Snapshot, name: string): unknown {
  return snapshot.servers.get('web')?.locations.get(name)
}

async function closeAll(...snapshots: Snapshot[]): Promise<void> {
  await Promise.all(snapshots.flatMap((s) => [...s.upstreams.values()].map((u) => u.close())))
}

describe('builds from a config sharing unchanged items with the previous one', () => {
  const cases = [
    {
      name: 'header change: location rebuilt, router kept',
      next: { ...LOCATIONS, b: 'path = "/b"\nupstream = "u"\nproxy_set_headers = ["X-V: 2"]\n' },
      rebuilt: ['b'],
      routerKept: true,
    },
    {
      name: 'path change: router rebuilt',
      next: { ...LOCATIONS, c: 'path = "/d"\nupstream = "u"\n' },
      rebuilt: ['c'],
      routerKept: false,
    },
    {
      name: 'location added and listed: server rebuilt',
      next: { ...LOCATIONS, e: 'path = "/e"\nupstream = "u"\n' },
      rebuilt: ['e'],
      routerKept: false,
    },
    {
      name: 'nothing but the server kept: everything reused',
      next: LOCATIONS,
      rebuilt: [] as string[],
      routerKept: true,
    },
  ]
  for (const c of cases.flatMap((c) => [
    { ...c, hinted: false },
    { ...c, hinted: true },
  ])) {
    test(`${c.name}${c.hinted ? ' (with the change list)' : ''}`, async () => {
      const deps = buildDeps()
      const first = buildSnapshot(await config(LOCATIONS), undefined, 1, deps)
      const fresh = await config(c.next)
      const delta = deltaOf(first.config, fresh)
      const shared = delta.shared
      const hint = { base: first.config.hash, changes: delta.changes }
      const second = buildSnapshot(shared, first, 2, c.hinted ? { ...deps, changes: hint } : deps)
      const scratch = buildSnapshot(fresh, undefined, 3, deps)
      assert.deepEqual(routes(second), routes(scratch))
      const web1 = first.servers.get('web')!
      const web2 = second.servers.get('web')!
      for (const name of Object.keys(c.next)) {
        const same = web2.locations.get(name) === web1.locations.get(name)
        assert.equal(same, !c.rebuilt.includes(name), `location ${name} reused`)
      }
      assert.deepEqual([...web2.locations.keys()], Object.keys(c.next))
      assert.equal(web2.router === web1.router, c.routerKept)
      await closeAll(first, second, scratch)
    })
  }

  test('the change list is trusted only when made against the previous config', async () => {
    const deps = buildDeps()
    const first = buildSnapshot(await config(LOCATIONS), undefined, 1, deps)
    const next = await config({ ...LOCATIONS, a: 'path = "/a"\nupstream = "u"\nweight = 5\n' })
    // A list that leaves out the change to `a`: used as is, `a` is kept from before.
    const trusted = { ...deps, changes: { base: first.config.hash, changes: [] } }
    const kept = buildSnapshot(next, first, 2, trusted)
    assert.equal(kept.servers.get('web')!.locations.get('a'), location(first, 'a'))
    const stale = { ...deps, changes: { base: 'another', changes: [] } }
    const rebuilt = buildSnapshot(next, first, 3, stale)
    assert.notEqual(rebuilt.servers.get('web')!.locations.get('a'), location(first, 'a'))
    await closeAll(first, kept, rebuilt)
  })

  test('a plugin change turns the change list off: its locations are rebuilt', async () => {
    const deps = buildDeps()
    const plugin = (data: string): string => `[plugins.p]\ncategory = "mock"\ndata = "${data}"\n`
    const withPlugin = async (data: string): Promise<PingapConfig> => {
      const store = new MemoryConfigStore({
        'pingap.toml':
          '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n' +
          plugin(data) +
          '[locations.a]\npath = "/a"\nupstream = "u"\nplugins = ["p"]\n' +
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["a"]\n',
      })
      return parseConfig(await store.load())
    }
    const first = buildSnapshot(await withPlugin('v1'), undefined, 1, deps)
    const delta = deltaOf(first.config, await withPlugin('v2'))
    const hint = { base: first.config.hash, changes: delta.changes }
    const second = buildSnapshot(delta.shared, first, 2, { ...deps, changes: hint })
    assert.notEqual(location(second, 'a'), location(first, 'a'))
    await closeAll(first, second)
  })

  test('a listed location that disappeared is reported, not silently dropped', async () => {
    const deps = buildDeps()
    const first = buildSnapshot(await config(LOCATIONS), undefined, 1, deps)
    const { b: _b, ...locations } = first.config.locations
    const broken: PingapConfig = { ...first.config, locations, hash: 'broken' }
    assert.throws(
      () => buildSnapshot(broken, first, 2, deps),
      (err: unknown) =>
        err instanceof ConfigErrors && /servers\.web\.locations/.test(err.errors[0]!.message),
    )
    await closeAll(first)
  })
})
