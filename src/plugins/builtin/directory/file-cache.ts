/**
 * A short-lived cache of file facts (and small bodies), like nginx's `open_file_cache`: a hot
 * file is looked up on disk at most once per second instead of four thread-pool round trips
 * (stat, open, read, close) per request. Only successes are kept, so a new file shows at once;
 * a changed file shows within a second. Bounded by entries and bytes.
 */
import type { Stats } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { sep } from 'node:path'
import { readSlice } from './file-body.ts'

/** What a request needs to know about a path. */
export interface FileFacts {
  /** The path to open (the real path when symlinks must stay under the root). */
  readonly path: string
  readonly st: Stats
  /** The whole body, for files small enough to keep. */
  readonly body?: Buffer
}

interface Entry {
  readonly facts: FileFacts
  readonly checkedAt: number
  readonly bytes: number
}

/** How long facts are trusted without looking at the disk again. */
export const FILE_FACTS_TTL_MS = 1000
const MAX_ENTRIES = 4096
const MAX_BYTES = 16 * 1024 * 1024

/** Per-plugin cache keyed by the path under the root. */
export class FileFactsCache {
  readonly #entries = new Map<string, Entry>()
  #bytes = 0

  /** Facts checked less than a second ago, if any. */
  get(key: string, now: number): FileFacts | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (now - entry.checkedAt >= FILE_FACTS_TTL_MS) {
      this.#delete(key, entry)
      return undefined
    }
    return entry.facts
  }

  set(key: string, facts: FileFacts, now: number): void {
    const old = this.#entries.get(key)
    if (old !== undefined) this.#delete(key, old)
    const bytes = (facts.body?.length ?? 0) + key.length + 200
    this.#entries.set(key, { facts, checkedAt: now, bytes })
    this.#bytes += bytes
    for (const [k, e] of this.#entries) {
      if (this.#entries.size <= MAX_ENTRIES && this.#bytes <= MAX_BYTES) break
      this.#delete(k, e)
    }
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
  }
}

/** What the lookup needs from the plugin's settings. */
export interface LookupSettings {
  readonly root: string
  readonly followSymlinks: boolean
  /** Files up to this size are read whole (and kept with their facts). */
  readonly chunkSize: number
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)
}

/**
 * Looks `path` up on disk: with `follow_symlinks = false` its real path must stay under the
 * root ('forbidden' otherwise) and is what gets opened. I/O errors are thrown.
 */
export async function lookupFacts(
  settings: LookupSettings,
  path: string,
): Promise<FileFacts | 'forbidden'> {
  let real = path
  if (!settings.followSymlinks) {
    real = await realpath(path)
    if (!inside(settings.root, real)) return 'forbidden'
  }
  const st = await stat(real)
  if (!st.isFile() || st.size === 0 || st.size > settings.chunkSize) return { path: real, st }
  const body = await readSlice(real, 0, st.size)
  // A file that changed between stat and read is not kept: it is read again when served.
  return body.length === st.size ? { path: real, st, body } : { path: real, st }
}
