/**
 * Numbered, immutable config versions (control-plane.md §3.1): who made each one, when, why and
 * what changed. Recent versions stay in memory; with a HistoryStore every version is also
 * written to disk, so numbering and rollback targets survive a restart.
 */
import type { PingapConfig } from '../config/types.ts'
import { CONFIG_CATEGORIES } from '../config/types.ts'
import { sameJson } from '../core/same-json.ts'
import type { HistoryStore } from './history.ts'

/** Who made a version (control-plane.md §3.5). */
export interface VersionAuthor {
  readonly id: string
  readonly kind: 'user' | 'token' | 'file' | 'acme' | 'system'
  readonly ip?: string
}

/** What a writer says about the version its change will produce (matched by content hash). */
export interface VersionIntent {
  readonly author: VersionAuthor
  /** `admin-api`, `ui`, `import`, `rollback`, ... */
  readonly source: string
  readonly message?: string
  readonly rollbackOf?: number
}

export interface ConfigVersion {
  readonly number: number
  readonly hash: string
  readonly config: PingapConfig
  readonly createdAt: string
  /** What triggered it: `startup`, `file-change`, `sighup`, `admin-api`, `ui`, `rollback`, ... */
  readonly source: string
  /** Items added, removed or modified against the previous version, e.g. `~locations.api`. */
  readonly changes: readonly string[]
  /** The version this one replaced (null for the first one). */
  readonly parent?: number | null
  readonly author?: VersionAuthor
  readonly message?: string
  /** Set when this version restores the content of an older one. */
  readonly rollbackOf?: number
}

/** A version without its config: what lists and the history index hold. */
export type VersionMeta = Omit<ConfigVersion, 'config'>

/** Options of a version log. */
export interface VersionLogOptions {
  /** Versions kept in memory with their config (default 100). */
  readonly limit?: number
  /** Persists every version; the log starts from its HEAD. */
  readonly history?: HistoryStore
}

/** What changed between two configs, and `after` sharing every unchanged item with `before`. */
export interface ConfigDelta {
  /** `+category.name`, `-category.name`, `~category.name`, or `basic`. */
  readonly changes: string[]
  /**
   * Equal to `after` (same hash, same content), but each item equal to its counterpart in
   * `before` is `before`'s object: a hundred versions of a 10,000-location config that differ
   * in one location then hold one copy of the 9,999 others, not a hundred.
   */
  readonly shared: PingapConfig
}

/** Compares two configs item by item (see ConfigDelta). */
export function deltaOf(before: PingapConfig | undefined, after: PingapConfig): ConfigDelta {
  const changes: string[] = []
  const shared: Record<string, unknown> = { ...after }
  for (const category of CONFIG_CATEGORIES) {
    if (category === 'basic') {
      if (before !== undefined && sameJson(before.basic, after.basic))
        shared['basic'] = before.basic
      else if (!sameJson(before?.basic ?? {}, after.basic)) changes.push('basic')
      continue
    }
    const a: Readonly<Record<string, unknown>> = before?.[category] ?? {}
    const b: Readonly<Record<string, unknown>> = after[category]
    const items: Record<string, unknown> = {}
    for (const name of Object.keys(b)) {
      if (!(name in a)) {
        changes.push(`+${category}.${name}`)
        items[name] = b[name]
      } else if (sameJson(a[name], b[name])) items[name] = a[name]
      else {
        changes.push(`~${category}.${name}`)
        items[name] = b[name]
      }
    }
    for (const name of Object.keys(a)) if (!(name in b)) changes.push(`-${category}.${name}`)
    shared[category] = items
  }
  return { changes, shared: shared as unknown as PingapConfig }
}

/** Lists `category.name` items that differ between two configs. */
export function diffConfigs(before: PingapConfig | undefined, after: PingapConfig): string[] {
  return deltaOf(before, after).changes
}

/** The meta part of a version. */
export function versionMeta(version: ConfigVersion): VersionMeta {
  const { config: _config, ...meta } = version
  return meta
}

/** Metas kept when there is no history store. */
const MEMORY_METAS = 1000

/** Who made a version and why: the announced intent, else what its source implies. */
function provenance(
  intent: VersionIntent | undefined,
  source: string,
): Pick<ConfigVersion, 'author' | 'message' | 'rollbackOf'> {
  return {
    author: intent?.author ?? authorOf(source),
    ...(intent?.message !== undefined ? { message: intent.message } : {}),
    ...(intent?.rollbackOf !== undefined ? { rollbackOf: intent.rollbackOf } : {}),
  }
}

/** A delta computed earlier, when it was made against `current` for this very config. */
function usable(
  known: { readonly base: ConfigVersion | undefined; readonly delta: ConfigDelta } | undefined,
  current: ConfigVersion | undefined,
  config: PingapConfig,
): ConfigDelta | undefined {
  if (known === undefined || known.base !== current) return undefined
  return known.delta.shared.hash === config.hash ? known.delta : undefined
}

const SYSTEM: VersionAuthor = { id: 'system', kind: 'system' }

function authorOf(source: string): VersionAuthor {
  return source === 'file-change' || source === 'sighup' ? { id: 'file', kind: 'file' } : SYSTEM
}

export class VersionLog {
  readonly #versions: ConfigVersion[] = []
  readonly #metas: VersionMeta[] = []
  readonly #limit: number
  readonly #history: HistoryStore | undefined
  readonly #intents = new Map<string, VersionIntent>()
  readonly #listeners = new Set<(version: ConfigVersion) => void>()

  constructor(options: number | VersionLogOptions = {}) {
    const opts = typeof options === 'number' ? { limit: options } : options
    this.#limit = opts.limit ?? 100
    this.#history = opts.history
    if (this.#history === undefined) return
    this.#metas.push(...this.#history.metas())
    const head = this.#history.head()
    if (head !== undefined) this.#versions.push(head)
  }

  get current(): ConfigVersion | undefined {
    return this.#versions.at(-1)
  }

  /** The next version number to use. */
  get next(): number {
    return (this.current?.number ?? 0) + 1
  }

  /** The number `config` will have once recorded: the current one when nothing changed. */
  numberFor(config: PingapConfig): number {
    const current = this.current
    return current !== undefined && current.hash === config.hash ? current.number : this.next
  }

  /** Announces who is about to produce a config with this hash (the admin API, a rollback). */
  expect(hash: string, intent: VersionIntent): void {
    this.#intents.set(hash, intent)
  }

  /** Drops an announcement whose change was not applied. */
  forget(hash: string): void {
    this.#intents.delete(hash)
  }

  /** Calls `listener` after each recorded version; returns the unsubscribe function. */
  onRecord(listener: (version: ConfigVersion) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Records an applied config; recording the current content again returns the current one.
   * `known` is a delta already computed against `known.base`, used while that is still current.
   */
  record(
    config: PingapConfig,
    source: string,
    known?: { readonly base: ConfigVersion | undefined; readonly delta: ConfigDelta },
  ): ConfigVersion {
    const current = this.current
    if (current !== undefined && current.hash === config.hash) return current
    const intent = this.#intents.get(config.hash)
    this.#intents.delete(config.hash)
    const delta = usable(known, current, config) ?? deltaOf(current?.config, config)
    const version: ConfigVersion = {
      number: this.next,
      hash: config.hash,
      config: delta.shared,
      createdAt: new Date().toISOString(),
      source: intent?.source ?? source,
      changes: delta.changes,
      parent: current?.number ?? null,
      ...provenance(intent, source),
    }
    this.#history?.write(version)
    this.#versions.push(version)
    this.#metas.push(versionMeta(version))
    if (this.#versions.length > this.#limit) this.#versions.shift()
    const kept = this.#history?.retained()
    if (kept !== undefined) this.#prune(kept)
    else if (this.#metas.length > MEMORY_METAS) this.#metas.shift()
    for (const listener of this.#listeners) listener(version)
    return version
  }

  #prune(kept: ReadonlySet<number>): void {
    for (let i = this.#metas.length - 1; i >= 0; i--) {
      const n = this.#metas[i]?.number
      if (n !== undefined && !kept.has(n)) this.#metas.splice(i, 1)
    }
  }

  /** The versions held in memory, oldest first. */
  list(): readonly ConfigVersion[] {
    return this.#versions
  }

  /** Every known version's meta, newest first: `limit` of them numbered below `before`. */
  metas(options: { limit?: number; before?: number } = {}): VersionMeta[] {
    const before = options.before ?? Number.POSITIVE_INFINITY
    const out: VersionMeta[] = []
    for (let i = this.#metas.length - 1; i >= 0 && out.length < (options.limit ?? 50); i--) {
      const meta = this.#metas[i]
      if (meta !== undefined && meta.number < before) out.push(meta)
    }
    return out
  }

  /** One version with its config, from memory or the history store. */
  get(number: number): ConfigVersion | undefined {
    if (!this.#metas.some((m) => m.number === number)) return undefined
    return this.#versions.find((v) => v.number === number) ?? this.#history?.read(number)
  }
}
