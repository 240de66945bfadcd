/**
 * Numbered, immutable config versions with an audit entry each (who, when, why, what
 * changed). Kept in memory for now; the admin issue persists them.
 */
import type { PingapConfig } from '../config/types.ts'
import { CONFIG_CATEGORIES } from '../config/types.ts'
import { hashConfig } from '../core/hash.ts'

export interface ConfigVersion {
  readonly number: number
  readonly hash: string
  readonly config: PingapConfig
  readonly createdAt: string
  /** What triggered it: `startup`, `file-change`, `sighup`, ... */
  readonly source: string
  /** Items added, removed or modified against the previous version, e.g. `locations.api`. */
  readonly changes: readonly string[]
}

/** Lists `category.name` items that differ between two configs. */
export function diffConfigs(before: PingapConfig | undefined, after: PingapConfig): string[] {
  const changes: string[] = []
  for (const category of CONFIG_CATEGORIES) {
    if (category === 'basic') {
      if (hashConfig(before?.basic ?? {}) !== hashConfig(after.basic)) changes.push('basic')
      continue
    }
    const a: Readonly<Record<string, unknown>> = before?.[category] ?? {}
    const b: Readonly<Record<string, unknown>> = after[category]
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(name in b)) changes.push(`-${category}.${name}`)
      else if (!(name in a)) changes.push(`+${category}.${name}`)
      else if (hashConfig(a[name]) !== hashConfig(b[name])) changes.push(`~${category}.${name}`)
    }
  }
  return changes
}

export class VersionLog {
  readonly #versions: ConfigVersion[] = []
  readonly #limit: number

  constructor(limit = 100) {
    this.#limit = limit
  }

  get current(): ConfigVersion | undefined {
    return this.#versions.at(-1)
  }

  /** The next version number to use. */
  get next(): number {
    return (this.current?.number ?? 0) + 1
  }

  record(config: PingapConfig, source: string): ConfigVersion {
    const version: ConfigVersion = {
      number: this.next,
      hash: config.hash,
      config,
      createdAt: new Date().toISOString(),
      source,
      changes: diffConfigs(this.current?.config, config),
    }
    this.#versions.push(version)
    if (this.#versions.length > this.#limit) this.#versions.shift()
    return version
  }

  list(): readonly ConfigVersion[] {
    return this.#versions
  }
}
