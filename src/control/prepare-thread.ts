/**
 * The ConfigPreparer of a file store: load, parse, validate and diff run in a worker thread
 * (prepare-worker.ts), so a reload of 10,000 locations does not block requests for the ~250 ms
 * these steps take. Only the changed items come back. When the worker cannot run (a bundle
 * without the worker file, a crash) the preparation runs on this thread instead, as before.
 */
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { logger } from '../core/logger.ts'
import { FileConfigStore } from '../config/file-store.ts'
import type { ConfigStore } from '../config/store.ts'
import { CONFIG_CATEGORIES, type PingapConfig, type SourceMap } from '../config/types.ts'
import {
  decodeFailure,
  decodePrepared,
  inProcessPreparer,
  type ConfigPreparer,
  type FailureData,
  type PreparedConfig,
  type PreparedMessage,
} from './prepare.ts'
import type { PrepareRequest } from './prepare-worker.ts'

const log = logger.child({ module: 'config' })

/** As many as the worker keeps configs (prepare-worker.ts). */
const KEPT_SOURCES = 3

type Reply =
  | { readonly id: number; readonly ok: true; readonly message: PreparedMessage }
  | { readonly id: number; readonly ok: false; readonly failure: FailureData }

interface Pending {
  readonly base: PingapConfig | undefined
  readonly resolve: (prepared: PreparedConfig) => void
  readonly reject: (err: unknown) => void
}

/** The worker script next to this module (`.js` once compiled); undefined in a CJS bundle. */
function workerUrl(): URL | undefined {
  try {
    const here = import.meta.url
    if (typeof here !== 'string') return undefined
    return new URL(`./prepare-worker${extname(fileURLToPath(here))}`, here)
  } catch {
    return undefined
  }
}

/** Runs preparations in one worker thread; falls back to `fallback` once the worker is gone. */
class ThreadPreparer implements ConfigPreparer {
  readonly #fallback: ConfigPreparer
  readonly #pending = new Map<number, Pending>()
  /** The sources of the configs this preparer returned lately, by hash (see PrepareRequest). */
  readonly #sources = new Map<string, SourceMap>()
  #worker: Worker | undefined
  #nextId = 1

  constructor(worker: Worker, fallback: ConfigPreparer) {
    this.#fallback = fallback
    this.#worker = worker
    // The worker never keeps the process alive; shutdown terminates it.
    worker.unref()
    worker.on('message', (reply: Reply) => this.#settle(reply))
    worker.on('error', (err) => this.#lost(err))
    worker.on('exit', (code) => this.#lost(new Error(`config worker exited with code ${code}`)))
  }

  prepare(base: PingapConfig | undefined): Promise<PreparedConfig> {
    const worker = this.#worker
    if (worker === undefined) return this.#fallback.prepare(base)
    const id = this.#nextId++
    return new Promise<PreparedConfig>((resolve, reject) => {
      this.#pending.set(id, { base, resolve, reject })
      const haveSources = base !== undefined && this.#sources.has(base.hash)
      const request: PrepareRequest = { id, base: base?.hash, haveSources }
      worker.postMessage(request)
    })
  }

  #settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id)
    if (pending === undefined) return
    this.#pending.delete(reply.id)
    if (!reply.ok) return pending.reject(decodeFailure(reply.failure))
    try {
      const baseSources = this.#sources.get(pending.base?.hash ?? '')
      const prepared = decodePrepared(reply.message, pending.base, baseSources)
      this.#remember(prepared)
      pending.resolve(prepared)
    } catch (err) {
      pending.reject(err)
    }
  }

  #remember(prepared: PreparedConfig): void {
    this.#sources.delete(prepared.config.hash)
    this.#sources.set(prepared.config.hash, prepared.sources)
    for (const hash of this.#sources.keys()) {
      if (this.#sources.size <= KEPT_SOURCES) break
      this.#sources.delete(hash)
    }
  }

  /** The worker died: what it was doing is redone here, and so is everything after. */
  #lost(err: unknown): void {
    if (this.#worker === undefined) return
    this.#worker = undefined
    if (this.#pending.size > 0)
      log.warn('config worker stopped; loading on the main thread', { err })
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id)
      this.#fallback.prepare(pending.base).then(pending.resolve, pending.reject)
    }
  }

  async close(): Promise<void> {
    const worker = this.#worker
    this.#lost(new Error('config worker closed'))
    await worker?.terminate()
  }
}

/** Items from which a config is worth a thread: below, a reload blocks for a few ms at most. */
export const THREAD_THRESHOLD = 1000

function itemCount(config: PingapConfig): number {
  let count = 0
  for (const category of CONFIG_CATEGORIES) {
    if (category !== 'basic') count += Object.keys(config[category]).length
  }
  return count
}

/** A thread preparer for `store`, or undefined where it cannot run. */
function startThread(store: FileConfigStore, fallback: ConfigPreparer): ConfigPreparer | undefined {
  const url = workerUrl()
  if (url === undefined) return undefined
  try {
    return new ThreadPreparer(new Worker(url, { workerData: { url: store.url } }), fallback)
  } catch (err) {
    log.warn('config worker not started; loading on the main thread', { err })
    return undefined
  }
}

/**
 * Loads on this thread while the config is small, and moves to a worker thread once a reload
 * starts from a large one (a worker costs ~8 MB of idle memory a small config has no use for).
 */
class AdaptivePreparer implements ConfigPreparer {
  readonly #store: FileConfigStore
  readonly #inline: ConfigPreparer
  #thread: ConfigPreparer | undefined

  constructor(store: FileConfigStore, inline: ConfigPreparer, thread: ConfigPreparer | undefined) {
    this.#store = store
    this.#inline = inline
    this.#thread = thread
  }

  prepare(base: PingapConfig | undefined): Promise<PreparedConfig> {
    if (this.#thread === undefined && base !== undefined && itemCount(base) >= THREAD_THRESHOLD) {
      this.#thread = startThread(this.#store, this.#inline)
    }
    return (this.#thread ?? this.#inline).prepare(base)
  }

  close(): Promise<void> {
    return this.#thread?.close() ?? Promise.resolve()
  }
}

/**
 * The preparer for `store`: for a file store (unless `PINGAP_CONFIG_THREAD=0`) a worker thread,
 * started now when `initial` (the config being served) is large or not given, else once the
 * config grows large; this thread for etcd and memory stores.
 */
export function preparerFor(store: ConfigStore, initial?: PingapConfig): ConfigPreparer {
  const inline = inProcessPreparer(store)
  if (!(store instanceof FileConfigStore)) return inline
  if (process.env['PINGAP_CONFIG_THREAD'] === '0') return inline
  // Started at once, the worker parses the served config while nothing is waiting for it.
  const now = initial === undefined || itemCount(initial) >= THREAD_THRESHOLD
  return new AdaptivePreparer(store, inline, now ? startThread(store, inline) : undefined)
}
