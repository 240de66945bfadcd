import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { test } from 'node:test'
import { configuredThreads, parseThreads, threadCount } from '../../../src/cluster/threads.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'

test('threadCount: unset is one process, 0 is one worker per CPU', () => {
  assert.equal(threadCount(undefined), 1)
  assert.equal(threadCount(1), 1)
  assert.equal(threadCount(4), 4)
  assert.equal(threadCount(0), availableParallelism())
})

test('parseThreads accepts non-negative integers only', () => {
  const cases: Array<[string, number | undefined]> = [
    ['0', 0],
    ['2', 2],
    [' 8 ', 8],
    ['-1', undefined],
    ['1.5', undefined],
    ['two', undefined],
    ['', undefined],
    ['99999', undefined],
  ]
  for (const [text, want] of cases) assert.equal(parseThreads(text), want, text)
})

test('configuredThreads reads basic.threads; an invalid value counts as unset', async () => {
  const cases: Array<[string, number | undefined]> = [
    ['[basic]\nthreads = 3\n', 3],
    ['[basic]\nthreads = 0\n', 0],
    ['[basic]\nname = "x"\n', undefined],
    ['', undefined],
    ['[basic]\nthreads = "3"\n', undefined],
    ['[basic]\nthreads = -2\n', undefined],
  ]
  for (const [toml, want] of cases) {
    const store = new MemoryConfigStore({ 'pingap.toml': toml })
    assert.equal(await configuredThreads(store), want, toml)
  }
})
