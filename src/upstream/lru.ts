/** A small least-recently-used map that reports what it evicts (used for transparent pools). */
export class LruMap<V> {
  readonly #limit: number
  readonly #onEvict: (value: V) => void
  readonly #map = new Map<string, V>()

  constructor(limit: number, onEvict: (value: V) => void) {
    this.#limit = Math.max(1, limit)
    this.#onEvict = onEvict
  }

  /** The value for `key`, created with `create` when absent; marks it most recently used. */
  getOrCreate(key: string, create: () => V): V {
    const found = this.#map.get(key)
    if (found !== undefined) {
      // Re-inserting moves the key to the end of Map's insertion order (= most recent).
      this.#map.delete(key)
      this.#map.set(key, found)
      return found
    }
    const value = create()
    this.#map.set(key, value)
    if (this.#map.size > this.#limit) {
      const oldest = this.#map.keys().next().value
      if (oldest !== undefined) {
        const evicted = this.#map.get(oldest)
        this.#map.delete(oldest)
        if (evicted !== undefined) this.#onEvict(evicted)
      }
    }
    return value
  }

  get size(): number {
    return this.#map.size
  }

  values(): IterableIterator<V> {
    return this.#map.values()
  }

  clear(): void {
    this.#map.clear()
  }
}
