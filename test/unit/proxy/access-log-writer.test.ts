import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { createAccessLogWriter } from '../../../src/proxy/access-log-writer.ts'

const dirs: string[] = []
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pgt-alog-'))
  dirs.push(dir)
  return dir
}

test('lines are appended to the file, each ending with a newline', async () => {
  const dir = await tempDir()
  const path = join(dir, 'sub', 'access.log')
  await writeFile(join(dir, 'keep'), '')
  const writer = createAccessLogWriter({ path, rolling: 'never' })
  writer.write('one')
  writer.write('two')
  await writer.flush()
  writer.write('three')
  await writer.close()
  assert.equal(await readFile(path, 'utf8'), 'one\ntwo\nthree\n')
  writer.write('late')
  assert.equal(writer.dropped, 1)
  const again = createAccessLogWriter({ path, rolling: 'never' })
  again.write('four')
  await again.close()
  assert.equal(await readFile(path, 'utf8'), 'one\ntwo\nthree\nfour\n')
})

test('writes are flushed within the flush interval without an explicit flush', async () => {
  const dir = await tempDir()
  const path = join(dir, 'a.log')
  const writer = createAccessLogWriter({ path, rolling: 'daily' })
  writer.write('x')
  const deadline = Date.now() + 5000
  let text = ''
  while (text === '' && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve))
    text = await readFile(path, 'utf8').catch(() => '')
  }
  assert.equal(text, 'x\n')
  await writer.close()
})

test('the file is renamed to <file>.<period> when the period changes', async () => {
  const dir = await tempDir()
  const path = join(dir, 'access.log')
  let now = new Date(2025, 0, 2, 23, 59, 59).getTime()
  const writer = createAccessLogWriter({ path, rolling: 'daily', now: () => now })
  writer.write('day1-a')
  await writer.flush()
  writer.write('day1-b')
  await writer.flush()
  now = new Date(2025, 0, 3, 0, 0, 1).getTime()
  writer.write('day2')
  await writer.close()
  assert.deepEqual((await readdir(dir)).sort(), ['access.log', 'access.log.2025-01-02'])
  assert.equal(await readFile(`${path}.2025-01-02`, 'utf8'), 'day1-a\nday1-b\n')
  assert.equal(await readFile(path, 'utf8'), 'day2\n')
})

test('minutely rotation and a taken name gets a numeric suffix', async () => {
  const dir = await tempDir()
  const path = join(dir, 'access.log')
  await writeFile(`${path}.2025-01-02-03-04`, 'older\n')
  let now = new Date(2025, 0, 2, 3, 4, 10).getTime()
  const writer = createAccessLogWriter({ path, rolling: 'minutely', now: () => now })
  writer.write('a')
  await writer.flush()
  now += 60_000
  writer.write('b')
  await writer.close()
  assert.equal(await readFile(`${path}.2025-01-02-03-04`, 'utf8'), 'older\n')
  assert.equal(await readFile(`${path}.2025-01-02-03-04.1`, 'utf8'), 'a\n')
  assert.equal(await readFile(path, 'utf8'), 'b\n')
})

test('a file left from an earlier period is rotated at open', async () => {
  const dir = await tempDir()
  const path = join(dir, 'access.log')
  await writeFile(path, 'yesterday\n')
  const yesterday = new Date(2025, 0, 1, 12, 0, 0)
  await utimes(path, yesterday, yesterday)
  const now = new Date(2025, 0, 2, 12, 0, 0).getTime()
  const writer = createAccessLogWriter({ path, rolling: 'daily', now: () => now })
  writer.write('today')
  await writer.close()
  assert.equal(await readFile(`${path}.2025-01-01`, 'utf8'), 'yesterday\n')
  assert.equal(await readFile(path, 'utf8'), 'today\n')
})

test('a full queue drops lines and counts them instead of blocking', async () => {
  const dir = await tempDir()
  const path = join(dir, 'access.log')
  const writer = createAccessLogWriter({ path, rolling: 'never', queueSize: 3 })
  for (let i = 0; i < 10; i++) writer.write(`l${i}`)
  assert.equal(writer.dropped, 7)
  await writer.close()
  assert.equal(await readFile(path, 'utf8'), 'l0\nl1\nl2\n')
})

test('a write error drops the batch and the writer recovers', async () => {
  const dir = await tempDir()
  // The path is a directory: opening it for append fails.
  const writer = createAccessLogWriter({ path: dir, rolling: 'never' })
  writer.write('lost')
  await writer.flush()
  assert.equal(writer.dropped, 1)
  await writer.close()
})

test('without a path the lines go to stdout', async () => {
  const url = new URL('../../../src/proxy/access-log-writer.js', import.meta.url).href
  const script = `
    const { createAccessLogWriter } = await import(${JSON.stringify(url)})
    const w = createAccessLogWriter({ rolling: 'never' })
    w.write('first'); w.write('second')
    await w.close()`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const code = await new Promise((resolve) => child.on('close', resolve))
  assert.equal(code, 0)
  assert.equal(out, 'first\nsecond\n')
})
