import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { FileConfigStore, type FileStoreOptions } from '../../../src/config/file-store.ts'
import { watchChanges } from '../../../src/config/watch.ts'

/** Waits for `promise` (an iterator step that must yield), failing after `ms`. */
async function within(
  promise: Promise<IteratorResult<void>>,
  ms: number,
  what: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms)
  })
  try {
    const result = await Promise.race([promise, deadline])
    assert.equal(result.done, false)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Loads a store over a temp dir holding pingap.toml, starts watching and waits until the watcher
 * is ready; `fn` then changes files and awaits `next`, the first yield. The periodic re-check is
 * 60 s unless `options` say otherwise, so a pass within the deadline proves the event path.
 */
async function watching(
  url: (dir: string) => string,
  options: FileStoreOptions,
  fn: (dir: string, next: Promise<IteratorResult<void>>) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pingap-ts-watch-'))
  const controller = new AbortController()
  let iterator: AsyncIterator<void> | undefined
  try {
    await writeFile(join(dir, 'pingap.toml'), '[basic]\nname = "one"\n')
    let ready: () => void = () => undefined
    const isReady = new Promise<IteratorResult<void>>((resolve) => {
      ready = () => resolve({ done: false, value: undefined })
    })
    const store = new FileConfigStore(url(dir), {
      debounceMs: 50,
      recheckMs: 60_000,
      onWatcherReady: () => ready(),
      ...options,
    })
    await store.load()
    iterator = store.watch(controller.signal)[Symbol.asyncIterator]()
    const next = iterator.next()
    await within(isReady, 10_000, 'watcher ready')
    await fn(dir, next)
    controller.abort()
    assert.equal((await iterator.next()).done, true)
  } finally {
    controller.abort()
    await iterator?.return?.()
    await rm(dir, { recursive: true })
  }
}

describe('file store watch', () => {
  test('directory: an edit is reported by the file-system events', () =>
    watching(
      (dir) => dir,
      {},
      async (dir, next) => {
        await writeFile(join(dir, 'pingap.toml'), '[basic]\nname = "two"\n')
        await within(next, 10_000, 'edit')
      },
    ))

  test('directory: a new file in a sub-folder is reported', () =>
    watching(
      (dir) => dir,
      {},
      async (dir, next) => {
        await mkdir(join(dir, 'upstreams'))
        await writeFile(
          join(dir, 'upstreams', 'u.toml'),
          '[upstreams.u]\naddrs = ["127.0.0.1:1"]\n',
        )
        await within(next, 10_000, 'new file')
      },
    ))

  test('single file: replace-by-rename (how editors save) is reported', () =>
    watching(
      (dir) => join(dir, 'pingap.toml'),
      {},
      async (dir, next) => {
        await writeFile(join(dir, 'pingap.toml.tmp'), '[basic]\nname = "renamed"\n')
        await rename(join(dir, 'pingap.toml.tmp'), join(dir, 'pingap.toml'))
        await within(next, 10_000, 'rename')
      },
    ))

  test('polling mode reports an edit', () =>
    watching(
      (dir) => dir,
      { pollIntervalMs: 50 },
      async (dir, next) => {
        await writeFile(join(dir, 'pingap.toml'), '[basic]\nname = "polled"\n')
        await within(next, 10_000, 'polled edit')
      },
    ))

  test('the periodic re-check finds a change that produced no event', () =>
    // Kubernetes ConfigMap symlink swaps produce no event for the file; a 60 s polling interval
    // stands in for "no event", so only the 100 ms re-check can see the edit.
    watching(
      (dir) => dir,
      { recheckMs: 100, pollIntervalMs: 60_000 },
      async (dir, next) => {
        await writeFile(join(dir, 'pingap.toml'), '[basic]\nname = "rechecked"\n')
        await within(next, 10_000, 're-check')
      },
    ))

  test('a change made after load() but before watch() is still reported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pingap-ts-watch-'))
    const controller = new AbortController()
    const store = new FileConfigStore(dir, { debounceMs: 50, recheckMs: 100 })
    const iterator = store.watch(controller.signal)[Symbol.asyncIterator]()
    try {
      await writeFile(join(dir, 'pingap.toml'), '[basic]\nname = "one"\n')
      await store.load()
      await writeFile(join(dir, 'pingap.toml'), '[basic]\nname = "between"\n')
      await within(iterator.next(), 10_000, 'change between load and watch')
    } finally {
      controller.abort()
      await iterator.return?.()
      await rm(dir, { recursive: true })
    }
  })

  test('events without a content change yield nothing; the next real change yields once', async () => {
    let content = 'a'
    let calls = 0
    const controller = new AbortController()
    const iterator = watchChanges(controller.signal, {
      paths: [],
      fingerprint: () => {
        calls++
        return Promise.resolve(content)
      },
      recheckMs: 10,
    })
    let yields = 0
    const consumer = (async () => {
      for await (const _change of iterator) yields++
    })()
    try {
      const deadline = Date.now() + 10_000
      while (calls < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      assert.ok(calls >= 20, 'the fingerprint was re-checked')
      assert.equal(yields, 0)
      content = 'b'
      while (yields === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      const seen = calls
      while (calls < seen + 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      assert.equal(yields, 1)
    } finally {
      controller.abort()
      await consumer
    }
  })
})
