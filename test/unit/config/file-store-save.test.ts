import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { openConfigStore } from '../../../src/config/store.ts'

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pingap-ts-save-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true })
  }
}

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

const HAND_WRITTEN = `# Locations of the shop, written by hand.

[locations.shop]
# the public shop
path = "/shop"
upstream = "shop"

# The API: keep this comment.
[locations.api]
# old comment inside the api table
path = "/api"
upstream = "shop"

[locations.api.unused]
x = 1

###
# Admin
###
[locations.admin]
path = "/admin" # trailing comment
upstream = "shop"
`

describe('file store save', () => {
  test('writes <category>/<name>.toml atomically and leaves no temp file', () =>
    inTempDir(async (dir) => {
      const store = openConfigStore(dir)
      await store.save('upstreams', 'shop', { addrs: ['127.0.0.1:8080'] })
      await store.save('basic', '', { name: 'saved' })
      assert.deepEqual(await allFiles(dir), ['basic.toml', 'upstreams/shop.toml'])
      assert.equal(
        await readFile(join(dir, 'upstreams', 'shop.toml'), 'utf8'),
        '[upstreams.shop]\naddrs = [ "127.0.0.1:8080" ]\n',
      )
      assert.equal(parseConfig(await store.load()).basic.name, 'saved')
    }))

  test('concurrent saves are serialised and all land', () =>
    inTempDir(async (dir) => {
      const store = openConfigStore(dir)
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.save('locations', `l${i}`, { path: `/p${i}` })),
      )
      const raw = (await store.load()).raw
      assert.equal(Object.keys(raw['locations'] as object).length, 20)
      assert.ok((await allFiles(dir)).every((f) => f.endsWith('.toml')))
    }))

  test('editing an item of a hand-written file moves it out and keeps every other line', () =>
    inTempDir(async (dir) => {
      await writeFile(join(dir, 'locations.toml'), HAND_WRITTEN)
      const store = openConfigStore(dir)
      await store.save('locations', 'api', { path: '/api/v2', upstream: 'shop' })
      const rest = await readFile(join(dir, 'locations.toml'), 'utf8')
      assert.equal(
        rest,
        `# Locations of the shop, written by hand.

[locations.shop]
# the public shop
path = "/shop"
upstream = "shop"

# The API: keep this comment.
###
# Admin
###
[locations.admin]
path = "/admin" # trailing comment
upstream = "shop"
`,
      )
      const loaded = await store.load()
      assert.equal(loaded.sources.get('locations.api'), join(dir, 'locations', 'api.toml'))
      assert.deepEqual((loaded.raw['locations'] as Record<string, unknown>)['api'], {
        path: '/api/v2',
        upstream: 'shop',
      })
    }))

  test('deleting an item of a hand-written file cuts out only its table', () =>
    inTempDir(async (dir) => {
      await writeFile(join(dir, 'locations.toml'), HAND_WRITTEN)
      const store = openConfigStore(dir)
      await store.save('locations', 'shop', undefined)
      const rest = await readFile(join(dir, 'locations.toml'), 'utf8')
      assert.ok(
        rest.startsWith(
          '# Locations of the shop, written by hand.\n\n# The API: keep this comment.\n[locations.api]',
        ),
      )
      assert.deepEqual(Object.keys((await store.load()).raw['locations'] as object), [
        'api',
        'admin',
      ])
      assert.deepEqual(await allFiles(dir), ['locations.toml'])
    }))

  test('deleting an item that has its own file removes the file', () =>
    inTempDir(async (dir) => {
      const store = openConfigStore(dir)
      await store.save('plugins', 'p', { category: 'ping', path: '/ping' })
      assert.deepEqual(await allFiles(dir), ['plugins/p.toml'])
      await store.save('plugins', 'p', undefined)
      assert.deepEqual(await allFiles(dir), [])
    }))

  test('an item written in a form that cannot be cut out safely is refused, nothing changes', () =>
    inTempDir(async (dir) => {
      const text = '[locations]\napi = { path = "/api" }\nweb = { path = "/" }\n'
      await writeFile(join(dir, 'locations.toml'), text)
      const store = openConfigStore(dir)
      await assert.rejects(store.save('locations', 'api', { path: '/v2' }), (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.match(
          err.message,
          /cannot move locations\.api out of .*locations\.toml automatically/,
        )
        return true
      })
      assert.equal(await readFile(join(dir, 'locations.toml'), 'utf8'), text)
      assert.deepEqual(await allFiles(dir), ['locations.toml'])
    }))

  test('saving basic into a hand-written basic.toml replaces only the [basic] table', () =>
    inTempDir(async (dir) => {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'basic.toml'), '# top comment\n[basic]\nname = "old"\n')
      const store = openConfigStore(dir)
      await store.save('basic', '', { name: 'new', threads: 1 })
      assert.equal(
        await readFile(join(dir, 'basic.toml'), 'utf8'),
        '# top comment\n\n[basic]\nname = "new"\nthreads = 1\n',
      )
      assert.deepEqual((await store.load()).raw['basic'], { name: 'new', threads: 1 })
    }))
})
