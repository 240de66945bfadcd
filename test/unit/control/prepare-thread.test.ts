import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigErrors } from '../../../src/core/errors.ts'
import { FileConfigStore } from '../../../src/config/file-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { preparerFor, THREAD_THRESHOLD } from '../../../src/control/prepare-thread.ts'

const UPSTREAM = '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n'
const locations = (pathOfB: string): string =>
  `[locations.a]\npath = "/a"\nupstream = "u"\n[locations.b]\npath = "${pathOfB}"\nupstream = "u"\n`

async function confDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pingap-prepare-'))
  await writeFile(join(dir, 'upstreams.toml'), UPSTREAM)
  await writeFile(join(dir, 'locations.toml'), locations('/b'))
  return dir
}

test('the worker thread loads, validates and sends back only what changed', async () => {
  const dir = await confDir()
  const store = new FileConfigStore(dir)
  const preparer = preparerFor(store)
  try {
    const first = await preparer.prepare(undefined)
    const direct = parseConfig(await store.load())
    assert.deepEqual(first.config, direct)
    assert.equal(first.sources.get('locations.b'), join(dir, 'locations.toml'))

    await writeFile(join(dir, 'locations.toml'), locations('/b2'))
    const second = await preparer.prepare(first.config)
    assert.deepEqual(second.config, parseConfig(await store.load()))
    // Only the worker path knows the delta; unchanged items are the base's very objects.
    assert.deepEqual(second.delta?.changes, ['~locations.b'])
    assert.equal(second.config.locations['a'], first.config.locations['a'])
    assert.equal(second.config.upstreams['u'], first.config.upstreams['u'])
    assert.notEqual(second.config.locations['b'], first.config.locations['b'])
    // Equal sources are not sent again; the preparer hands back the ones it kept.
    assert.deepEqual([...second.sources], [...first.sources])

    await writeFile(join(dir, 'more.toml'), '[upstreams.w]\naddrs = ["127.0.0.1:8"]\n')
    const third = await preparer.prepare(second.config)
    assert.deepEqual(third.delta?.changes, ['+upstreams.w'])
    assert.equal(third.sources.get('upstreams.w'), join(dir, 'more.toml'))
    assert.equal(third.sources.get('locations.b'), join(dir, 'locations.toml'))
  } finally {
    await preparer.close()
    await rm(dir, { recursive: true })
  }
})

test('a bad edit is rejected with the same messages as on the main thread', async () => {
  const dir = await confDir()
  const store = new FileConfigStore(dir)
  const preparer = preparerFor(store)
  try {
    const base = await preparer.prepare(undefined)
    await writeFile(join(dir, 'locations.toml'), '[locations.a]\nupstream = "nope"\nhots = "x"\n')
    const expected = await store
      .load()
      .then(parseConfig)
      .catch((err: unknown) => err)
    assert.ok(expected instanceof ConfigErrors)
    await assert.rejects(preparer.prepare(base.config), (err: unknown) => {
      assert.ok(err instanceof ConfigErrors)
      assert.deepEqual(
        err.errors.map((e) => e.message),
        expected.errors.map((e) => e.message),
      )
      assert.match(err.message, /locations\.toml: locations\.a/)
      return true
    })
    await writeFile(join(dir, 'locations.toml'), '[locations.a\n')
    await assert.rejects(preparer.prepare(base.config), /locations\.toml/)
  } finally {
    await preparer.close()
    await rm(dir, { recursive: true })
  }
})

test('PINGAP_CONFIG_THREAD=0 and a closed preparer load on the main thread', async () => {
  const dir = await confDir()
  const store = new FileConfigStore(dir)
  process.env['PINGAP_CONFIG_THREAD'] = '0'
  const inline = preparerFor(store)
  delete process.env['PINGAP_CONFIG_THREAD']
  const threaded = preparerFor(store)
  try {
    const a = await inline.prepare(undefined)
    assert.equal(a.delta, undefined)
    await threaded.close()
    // A request after close (or after the worker died) still gets an answer.
    const b = await threaded.prepare(a.config)
    assert.equal(b.config.hash, a.config.hash)
  } finally {
    await inline.close()
    await rm(dir, { recursive: true })
  }
})

test('a small config loads on the main thread until it grows large', async () => {
  const dir = await confDir()
  const store = new FileConfigStore(dir)
  const small = parseConfig(await store.load())
  const preparer = preparerFor(store, small)
  const many = (tag: string): string =>
    Array.from(
      { length: THREAD_THRESHOLD },
      (_, i) => `[upstreams.m${i}]\naddrs = ["127.0.0.1:${i === 0 ? tag : '9'}"]\n`,
    ).join('')
  try {
    const first = await preparer.prepare(small)
    assert.equal(first.delta, undefined, 'small: on this thread')
    await writeFile(join(dir, 'many.toml'), many('1'))
    const grown = await preparer.prepare(first.config)
    assert.equal(grown.delta, undefined, 'prepared from a small base: still on this thread')
    await writeFile(join(dir, 'many.toml'), many('2'))
    // From a large base the worker starts; it parses the files once on start.
    const moved = await preparer.prepare(grown.config)
    assert.equal(moved.config.upstreams['m0']?.addrs[0], '127.0.0.1:2')
    await writeFile(join(dir, 'many.toml'), many('3'))
    const threaded = await preparer.prepare(moved.config)
    assert.deepEqual(threaded.delta?.changes, ['~upstreams.m0'])
    assert.equal(threaded.config.upstreams['m1'], moved.config.upstreams['m1'])
  } finally {
    await preparer.close()
    await rm(dir, { recursive: true })
  }
})
