/**
 * The memory backend: one Map in least-recently-used order, bounded by bytes (bodies plus a
 * per-entry estimate of headers and bookkeeping). A hit moves its entry to the end; a put evicts
 * from the front until the budget holds.
 */
import type { CacheStore, StoredMeta, StoredResponse } from './store.ts'

/** Bytes counted for an entry besides its body: keys, metadata, Map slots. */
const ENTRY_OVERHEAD = 256

interface PrimaryRecord {
  readonly keys: Set<string>
  readonly vary: Map<string, readonly string[]>
}

interface MemoryEntry {
  readonly primary: string
  readonly response: StoredResponse
  readonly bytes: number
}

function headerBytes(meta: StoredMeta): number {
  let n = 0
  for (const [name, value] of meta.headers) n += name.length + value.length + 16
  return n
}

/** A bounded, process-wide memory cache. */
export class MemoryStore implements CacheStore {
  readonly #maxBytes: number
  readonly #entries = new Map<string, MemoryEntry>()
  /** Per primary key: its entry keys, and the Vary names per secondary key. */
  readonly #byPrimary = new Map<string, PrimaryRecord>()
  #bytes = 0
  /** The entry last put or hit, i.e. the last in LRU order: hitting it again moves nothing. */
  #newest: MemoryEntry | undefined

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes
  }

  /** Bytes in use (bodies plus estimates). */
  get bytes(): number {
    return this.#bytes
  }

  /** Number of stored entries. */
  get size(): number {
    return this.#entries.size
  }

  open(): void {}

  varyOf(primary: string, secondary: string): readonly string[] {
    return this.#byPrimary.get(primary)?.vary.get(secondary) ?? []
  }

  get(primary: string, variant: string): StoredResponse | undefined {
    const key = `${primary}\u0000${variant}`
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry !== this.#newest) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
      this.#newest = entry
    }
    return entry.response
  }

  put(primary: string, secondary: string, variant: string, meta: StoredMeta, body: Buffer): void {
    const bytes = body.length + headerBytes(meta) + primary.length + variant.length + ENTRY_OVERHEAD
    if (bytes > this.#maxBytes) return
    const key = `${primary}\u0000${variant}`
    this.#remove(key)
    const entry: MemoryEntry = { primary, response: { meta, body }, bytes }
    this.#entries.set(key, entry)
    this.#newest = entry
    this.#bytes += bytes
    let record = this.#byPrimary.get(primary)
    if (record === undefined) {
      record = { keys: new Set(), vary: new Map() }
      this.#byPrimary.set(primary, record)
    }
    record.keys.add(key)
    if (meta.vary.length > 0) record.vary.set(secondary, meta.vary)
    else record.vary.delete(secondary)
    this.#evict()
  }

  purge(primary: string): number {
    const record = this.#byPrimary.get(primary)
    if (record === undefined) return 0
    const n = record.keys.size
    for (const key of [...record.keys]) this.#remove(key)
    this.#byPrimary.delete(primary)
    return n
  }

  purgePrefix(prefix: string): { purged: number; failed: number } {
    let purged = 0
    for (const primary of [...this.#byPrimary.keys()]) {
      if (primary.startsWith(prefix)) purged += this.purge(primary)
    }
    return { purged, failed: 0 }
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    if (entry === this.#newest) this.#newest = undefined
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
    const record = this.#byPrimary.get(entry.primary)
    record?.keys.delete(key)
    if (record !== undefined && record.keys.size === 0) this.#byPrimary.delete(entry.primary)
  }

  #evict(): void {
    while (this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next()
      if (oldest.done === true) return
      this.#remove(oldest.value)
    }
  }
}
