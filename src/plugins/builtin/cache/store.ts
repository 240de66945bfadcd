/**
 * What a cache backend stores and the interface both backends (memory, file) implement. Keys
 * come in two parts: the primary key (namespace, host, URI) groups every variant of a resource
 * so that PURGE removes them all; the secondary key (method, extra keys, configured headers)
 * and the values of the response's `Vary` headers pick one variant.
 */
import type { Readable } from 'node:stream'

/** Everything about a stored response except its body. */
export interface StoredMeta {
  readonly status: number
  /** Header entries as stored (lower-case names, repeated names allowed). */
  readonly headers: ReadonlyArray<readonly [string, string]>
  /** `Date.now()` when stored. */
  readonly storedAt: number
  /** Seconds of `Age` the response already had. */
  readonly age: number
  /** Fresh until this time (ms epoch). */
  readonly freshUntil: number
  /** May be served stale while one request refreshes it, until this time (ms epoch). */
  readonly staleUntil: number
  /** Lower-case names of the request headers the response varies on. */
  readonly vary: readonly string[]
  /** Body length in bytes. */
  readonly size: number
}

/** A stored response found by a lookup. */
export interface StoredResponse {
  readonly meta: StoredMeta
  /** The body in memory (memory backend, small files). */
  readonly body?: Buffer
  /** Streams the body bytes `start..end` (inclusive) from disk (large files). */
  readonly stream?: (start: number, end: number) => Readable
}

/** A cache backend; methods may answer synchronously (memory) or not (disk). */
export interface CacheStore {
  /** Vary names last stored for (primary, secondary); empty when none. */
  varyOf(primary: string, secondary: string): readonly string[] | Promise<readonly string[]>
  get(
    primary: string,
    variant: string,
  ): StoredResponse | undefined | Promise<StoredResponse | undefined>
  put(
    primary: string,
    secondary: string,
    variant: string,
    meta: StoredMeta,
    body: Buffer,
  ): void | Promise<void>
  /** Removes every variant of `primary`; resolves to how many entries went. */
  purge(primary: string): number | Promise<number>
  /** Removes every entry whose primary key starts with `prefix`. */
  purgePrefix(
    prefix: string,
  ): { purged: number; failed: number } | Promise<{ purged: number; failed: number }>
  /** Opens the store (file scans); idempotent. */
  open(): void
}

/** The variant key: secondary key plus the request's values of the Vary headers. */
export function variantKey(secondary: string, varyValues: readonly string[]): string {
  return varyValues.length === 0 ? secondary : `${secondary}\u0001${varyValues.join('\u0001')}`
}
