/**
 * Worker-thread entry of prepare-thread.ts: reads the file store, parses and validates it, and
 * answers with only what changed against the config the main thread serves. It keeps the last
 * few configs it produced (by hash) to compare against, and parses once at start so the first
 * reload already has the served config to compare with.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { FileConfigStore } from '../config/file-store.ts'
import { parseConfig } from '../config/parse.ts'
import type { PingapConfig, SourceMap } from '../config/types.ts'
import { encodeFailure, encodePrepared, sameSources } from './prepare.ts'

/** What the main thread sends: prepare the store's content against config `base`. */
export interface PrepareRequest {
  readonly id: number
  readonly base: string | undefined
  /** The main thread holds the base's sources: equal ones need not travel. */
  readonly haveSources: boolean
}

interface Known {
  readonly config: PingapConfig
  readonly sources: SourceMap
}

/** Configs kept to compare with: the served one and a rejected or newer candidate or two. */
const KEPT = 3

const store = new FileConfigStore((workerData as { url: string }).url)
const known = new Map<string, Known>()

/** Keeps `entry` as the most recent one, dropping the least recently used beyond KEPT. */
function keep(entry: Known): void {
  known.delete(entry.config.hash)
  known.set(entry.config.hash, entry)
  for (const hash of known.keys()) {
    if (known.size <= KEPT) break
    known.delete(hash)
  }
}

async function load(): Promise<Known> {
  const loaded = await store.load()
  const entry = { config: parseConfig(loaded), sources: loaded.sources }
  keep(entry)
  return entry
}

// The start-up parse: the served version is normally exactly this content.
let queue: Promise<unknown> = load().catch(() => undefined)

parentPort?.on('message', (request: PrepareRequest) => {
  queue = queue.then(async () => {
    try {
      const base = request.base === undefined ? undefined : known.get(request.base)
      if (base !== undefined) keep(base)
      const { config, sources } = await load()
      const same = base !== undefined && request.haveSources && sameSources(base.sources, sources)
      // Same content as the base: send nothing but the names (the main thread sees the hash).
      const message = encodePrepared(
        config.hash === base?.config.hash ? base.config : config,
        same ? undefined : sources,
        base?.config,
      )
      parentPort?.postMessage({ id: request.id, ok: true, message })
    } catch (err) {
      parentPort?.postMessage({ id: request.id, ok: false, failure: encodeFailure(err) })
    }
  })
})
