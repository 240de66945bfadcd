import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { eventually } from '../../../../helpers/eventually.ts'
import {
  FILE_FACTS_TTL_MS,
  FileFactsCache,
  HOT_FILE_MAX_BYTES,
  lookupFacts,
  type FileFacts,
} from '../../../../../src/plugins/builtin/directory/file-cache.ts'

const root = mkdtempSync(join(tmpdir(), 'file-cache-'))
after(() => rmSync(root, { recursive: true, force: true }))
const settings = { root, followSymlinks: true, chunkSize: 4096 }

async function facts(path: string, previous?: FileFacts): Promise<FileFacts> {
  const found = await lookupFacts(settings, path, previous)
  assert.notEqual(found, 'forbidden')
  return found as FileFacts
}

test('small files are read with their facts; medium files are not', async () => {
  writeFileSync(join(root, 'small.txt'), 'tiny')
  writeFileSync(join(root, 'medium.bin'), Buffer.alloc(64 * 1024, 'm'))
  assert.equal((await facts(join(root, 'small.txt'))).body?.toString(), 'tiny')
  assert.equal((await facts(join(root, 'medium.bin'))).body, undefined)
})

test('a medium file asked for again while cached gets its body loaded', async () => {
  const path = join(root, 'hot.bin')
  writeFileSync(path, Buffer.alloc(512 * 1024, 'h'))
  const cache = new FileFactsCache()
  const now = Date.now()
  cache.set(path, await facts(path), now)
  // The first hit starts the read; a later hit within the TTL has the body.
  assert.equal(cache.get(path, now)?.body, undefined)
  const body = await eventually(() => {
    const hit = cache.get(path, now)?.body
    assert.ok(hit !== undefined)
    return hit
  })
  assert.equal(body.length, 512 * 1024)
  assert.equal(body[0], 'h'.charCodeAt(0))
})

test('files above the hot limit are never kept whole', async () => {
  const path = join(root, 'large.bin')
  writeFileSync(path, Buffer.alloc(HOT_FILE_MAX_BYTES + 1))
  const cache = new FileFactsCache()
  const now = Date.now()
  cache.set(path, await facts(path), now)
  for (let i = 0; i < 3; i++) assert.equal(cache.get(path, now)?.body, undefined)
})

test('a refresh keeps the body of an unchanged file and rereads a changed one', async () => {
  const path = join(root, 'page.html')
  writeFileSync(path, 'version 1')
  const first = await facts(path)
  const again = await facts(path, first)
  assert.equal(again.body, first.body, 'same buffer: nothing was read')
  writeFileSync(path, 'version 2')
  // Same size; the mtime is set apart explicitly (coarse clocks could keep it equal).
  utimesSync(path, new Date(), new Date(Date.now() + 5000))
  const changed = await facts(path, first)
  assert.equal(changed.body?.toString(), 'version 2')
})

test('facts expire after the TTL; previous() still offers them for a refresh', async () => {
  const path = join(root, 'small.txt')
  const cache = new FileFactsCache()
  const now = Date.now()
  const found = await facts(path)
  cache.set(path, found, now)
  assert.equal(cache.get(path, now + FILE_FACTS_TTL_MS), undefined)
  assert.equal(cache.previous(path), found)
  cache.forget(path)
  assert.equal(cache.previous(path), undefined)
})
