/**
 * A short-lived cache of file facts (and bodies), like nginx's `open_file_cache`: a hot file is
 * looked up on disk at most once per second instead of four thread-pool round trips (stat, open,
 * read, close) per request. Only successes are kept, so a new file shows at once; a changed file
 * shows within a second. Small files (≤ chunk_size) are read whole with their facts; files up to
 * 1 MiB are read whole once hot (asked for again while their facts are cached), so a popular
 * asset is one `write` from memory instead of a stream of reads. A body survives a refresh when
 * the file's identity, size and mtime did not change (one stat). Bounded by entries and bytes.
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
  /** A whole-body read of this entry is under way. */
  loading: boolean
}

/** How long facts are trusted without looking at the disk again. */
export const FILE_FACTS_TTL_MS = 1000
/** Largest file kept whole in memory once hot. */
export const HOT_FILE_MAX_BYTES = 1024 * 1024
const MAX_ENTRIES = 4096
const MAX_BYTES = 32 * 1024 * 1024
/** Most bytes of hot bodies being read at once (bounds memory under a burst of new files). */
const MAX_LOADING_BYTES = 8 * 1024 * 1024

/** Per-plugin cache keyed by the path under the root. */
export class FileFactsCache {
  readonly #entries = new Map<string, Entry>()
  #bytes = 0
  #loadingBytes = 0

  /** Facts checked less than a second ago, if any; a hit makes a medium file's body load. */
  get(key: string, now: number): FileFacts | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || now - entry.checkedAt >= FILE_FACTS_TTL_MS) return undefined
    if (entry.facts.body === undefined && !entry.loading) this.#promote(key, entry)
    return entry.facts
  }

  /** The last facts of `key`, however old: a refresh keeps their body if the file is unchanged. */
  previous(key: string): FileFacts | undefined {
    return this.#entries.get(key)?.facts
  }

  /** Drops `key` (its file is gone or no longer servable). */
  forget(key: string): void {
    const entry = this.#entries.get(key)
    if (entry !== undefined) this.#delete(key, entry)
  }

  set(key: string, facts: FileFacts, now: number): void {
    const old = this.#entries.get(key)
    if (old !== undefined) this.#delete(key, old)
    const bytes = (facts.body?.length ?? 0) + key.length + 200
    this.#entries.set(key, { facts, checkedAt: now, bytes, loading: false })
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

  /** Reads the whole body of a hot regular file in the background, within the byte budgets. */
  #promote(key: string, entry: Entry): void {
    const { st, path } = entry.facts
    const size = st.size
    if (!st.isFile() || size === 0 || size > HOT_FILE_MAX_BYTES) return
    if (this.#loadingBytes + size > MAX_LOADING_BYTES) return
    entry.loading = true
    this.#loadingBytes += size
    readSlice(path, 0, size)
      .then(
        (body) => {
          // Kept only if the entry is still the current one and the file did not shrink.
          if (this.#entries.get(key) !== entry || body.length !== size) return
          this.set(key, { ...entry.facts, body }, entry.checkedAt)
        },
        () => undefined,
      )
      .finally(() => (this.#loadingBytes -= size))
  }
}

/** What the lookup needs from the plugin's settings. */
export interface LookupSettings {
  readonly root: string
  readonly followSymlinks: boolean
  /** Files up to this size are read whole (and kept with their facts). */
  readonly chunkSize: number
}

/** Same file, same size, same modification time: a kept body is still the file's content. */
function unchanged(a: Stats, b: Stats): boolean {
  return (
    b.isFile() &&
    a.ino === b.ino &&
    a.dev === b.dev &&
    a.size === b.size &&
    a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs
  )
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
  previous?: FileFacts,
): Promise<FileFacts | 'forbidden'> {
  let real = path
  if (!settings.followSymlinks) {
    real = await realpath(path)
    if (!inside(settings.root, real)) return 'forbidden'
  }
  const st = await stat(real)
  if (previous?.body !== undefined && previous.path === real && unchanged(previous.st, st)) {
    return { path: real, st, body: previous.body }
  }
  if (!st.isFile() || st.size === 0 || st.size > settings.chunkSize) return { path: real, st }
  const body = await readSlice(real, 0, st.size)
  // A file that changed between stat and read is not kept: it is read again when served.
  return body.length === st.size ? { path: real, st, body } : { path: real, st }
}
