/**
 * Process-wide cache stores, keyed by their `directory`: plugins that name the same one share
 * entries and locks, and a reload that rebuilds a plugin keeps what its store holds.
 */
import type { StoreSpec } from './directory-spec.ts'
import { FileStore } from './file-store.ts'
import { CacheLocks } from './lock.ts'
import { MemoryStore } from './memory-store.ts'
import type { CacheStore } from './store.ts'

/** A store and the locks of its keys. */
export interface SharedStore {
  readonly store: CacheStore
  readonly locks: CacheLocks
}

const stores = new Map<string, SharedStore>()

/** The store for `spec`, created (not opened) on first use. */
export function sharedStore(spec: StoreSpec): SharedStore {
  const existing = stores.get(spec.id)
  if (existing !== undefined) {
    if (spec.kind === 'file' && existing.store instanceof FileStore) {
      existing.store.configure(spec.maxBytes, spec.inactiveMs)
    }
    return existing
  }
  const store =
    spec.kind === 'memory'
      ? new MemoryStore(spec.maxBytes)
      : new FileStore(spec.dir, spec.levels, spec.maxBytes, spec.inactiveMs)
  const shared = { store, locks: new CacheLocks() }
  stores.set(spec.id, shared)
  return shared
}
