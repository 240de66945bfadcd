import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { FileStore } from '../../../../../src/plugins/builtin/cache/file-store.ts'
import type { StoredMeta } from '../../../../../src/plugins/builtin/cache/store.ts'
import { eventually } from '../../../../helpers/eventually.ts'

const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-cache-'))
  dirs.push(dir)
  return dir
}

function meta(size: number, vary: string[] = []): StoredMeta {
  return {
    status: 200,
    headers: [['content-type', 'text/plain']],
    storedAt: 1,
    age: 0,
    freshUntil: 2,
    staleUntil: 2,
    vary,
    size,
  }
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name)
}

test('file store: entries survive a new store on the same directory', async () => {
  const dir = tempDir()
  const first = new FileStore(dir, [1, 2], 1_000_000, 0)
  first.open()
  await first.put('ns\u0000h\u0000/a', 'GET', 'GET', meta(5), Buffer.from('hello'))
  assert.equal((await first.get('ns\u0000h\u0000/a', 'GET'))?.body?.toString(), 'hello')
  assert.ok(files(dir).every((f) => !f.endsWith('.tmp')))
  const second = new FileStore(dir, [1, 2], 1_000_000, 0)
  second.open()
  await second.scanned
  const found = await second.get('ns\u0000h\u0000/a', 'GET')
  assert.deepEqual(found?.meta.headers, [['content-type', 'text/plain']])
  assert.equal(found?.body?.toString(), 'hello')
  assert.ok(second.bytes > 5)
})

test('file store: vary names, purge of a URI and of a namespace', async () => {
  const dir = tempDir()
  const store = new FileStore(dir, [1], 1_000_000, 0)
  store.open()
  await store.put(
    'ns\u0000h\u0000/v',
    'GET',
    'GET\u0001en',
    meta(1, ['accept-language']),
    Buffer.from('e'),
  )
  await store.put(
    'ns\u0000h\u0000/v',
    'GET',
    'GET\u0001fr',
    meta(1, ['accept-language']),
    Buffer.from('f'),
  )
  await store.put('ns\u0000h\u0000/w', 'GET', 'GET', meta(1), Buffer.from('w'))
  await store.put('other\u0000h\u0000/w', 'GET', 'GET', meta(1), Buffer.from('o'))
  const fresh = new FileStore(dir, [1], 1_000_000, 0)
  assert.deepEqual(await fresh.varyOf('ns\u0000h\u0000/v', 'GET'), ['accept-language'])
  assert.equal(await store.purge('ns\u0000h\u0000/v'), 2)
  assert.equal(await store.get('ns\u0000h\u0000/v', 'GET\u0001fr'), undefined)
  assert.deepEqual(await store.purgePrefix('ns\u0000'), { purged: 1, failed: 0 })
  assert.equal(await store.get('ns\u0000h\u0000/w', 'GET'), undefined)
  assert.equal((await store.get('other\u0000h\u0000/w', 'GET'))?.body?.toString(), 'o')
})

test('file store: bounded by size, corrupt entries are dropped, large bodies stream', async () => {
  const dir = tempDir()
  const store = new FileStore(dir, [1, 2], 4000, 0)
  store.open()
  for (const p of ['a', 'b', 'c', 'd']) {
    await store.put(`\u0000h\u0000/${p}`, 'GET', 'GET', meta(1500), Buffer.alloc(1500))
  }
  assert.ok(store.bytes <= 4000, `bytes ${store.bytes}`)
  assert.equal(await store.get('\u0000h\u0000/a', 'GET'), undefined)
  assert.ok(await store.get('\u0000h\u0000/d', 'GET'))
  const big = new FileStore(tempDir(), [1, 2], 10_000_000, 0)
  await big.put('\u0000h\u0000/big', 'GET', 'GET', meta(2_000_000), Buffer.alloc(2_000_000, 1))
  const found = await big.get('\u0000h\u0000/big', 'GET')
  assert.equal(found?.body, undefined)
  let n = 0
  for await (const chunk of found!.stream!(10, 1009)) n += (chunk as Buffer).length
  assert.equal(n, 1000)
})

test('file store: a corrupt entry is a miss and is removed', async () => {
  const dir = tempDir()
  const store = new FileStore(dir, [1], 1_000_000, 0)
  await store.put('\u0000h\u0000/x', 'GET', 'GET', meta(3), Buffer.from('abc'))
  const entry = readdirSync(dir, { recursive: true, withFileTypes: true }).find((d) => d.isFile())!
  writeFileSync(join(entry.parentPath, entry.name), 'PGC1 but not really an entry')
  assert.equal(await store.get('\u0000h\u0000/x', 'GET'), undefined)
  await eventually(() => assert.deepEqual(files(dir), []))
})
