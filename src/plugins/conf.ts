/**
 * Typed readers for one `[plugins.<name>]` table (Pingap's `get_str_conf` family, but strict):
 * every key is checked against the category's list, and every bad value throws a ConfigError
 * naming the exact key path, e.g. `plugins.apiLimit.interval`.
 */
import { setFlagsFromString } from 'node:v8'
import { suggestionText } from '../config/suggest.ts'
import { parseDuration } from '../core/duration.ts'
import { ConfigError } from '../core/errors.ts'

/** Keys every plugin table may hold besides its own options (spec §1.9). */
export const COMMON_KEYS: readonly string[] = ['category', 'step', 'remark']

// User regexes run in V8's linear-time engine so a pattern such as `^(a+)+$` can never stall
// the event loop (decisions §4); patterns that need backtracking are refused at load instead.
setFlagsFromString('--enable-experimental-regexp-engine')

/** Compiles a user pattern in the linear-time engine; a refusal becomes a ConfigError at `keyPath`. */
export function compileSafeRegex(pattern: string, keyPath: string): RegExp {
  try {
    // eslint-disable-next-line no-invalid-regexp -- `l` is V8's linear-engine flag, enabled above.
    return new RegExp(pattern, 'l')
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^.*: /, '') : String(err)
    throw new ConfigError('PGT_ERR_CONFIG_REGEX', keyPath, [pattern, reason], { cause: err })
  }
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  return typeof value === 'object' ? 'a table' : `a ${typeof value}`
}

/** One plugin table with the key path prefix; readers return defaults for absent keys. */
export class PluginOptions {
  readonly #raw: Readonly<Record<string, unknown>>
  readonly #path: string

  /** Checks that `raw` holds only `keys` (plus category, step, remark). */
  constructor(raw: Readonly<Record<string, unknown>>, path: string, keys: readonly string[]) {
    this.#raw = raw
    this.#path = path
    for (const key of Object.keys(raw)) {
      if (COMMON_KEYS.includes(key) || keys.includes(key)) continue
      // A category with one option gets it suggested even when the typo is far off: Pingap's
      // sample `stats` plugin says `value` where the key is `path`.
      const near = suggestionText(key, keys)
      const hint = near === '' && keys.length === 1 ? `, did you mean \`${keys[0]}\`?` : near
      throw new ConfigError('PGT_ERR_CONFIG_UNKNOWN_KEY', this.keyPath(key), [key, hint])
    }
  }

  /** The dotted path of `key`, for errors. */
  keyPath(key: string): string {
    return `${this.#path}.${key}`
  }

  /** A ConfigError about `key`. */
  error(key: string, message: string): ConfigError {
    return new ConfigError('PGT_ERR_CONFIG_INVALID', this.keyPath(key), [message])
  }

  has(key: string): boolean {
    return this.#raw[key] !== undefined
  }

  /** A string option; `fallback` when absent. */
  string(key: string, fallback = ''): string {
    const value = this.#raw[key]
    if (value === undefined) return fallback
    if (typeof value !== 'string') throw this.error(key, `must be a string, not ${typeName(value)}`)
    return value
  }

  /** A string that must be present and non-empty. */
  required(key: string): string {
    const value = this.string(key)
    if (value.trim() === '') throw this.error(key, 'is required')
    return value
  }

  /** One of `choices` (case-insensitive); `fallback` when absent. */
  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    if (!this.has(key)) return fallback
    const value = this.string(key).toLowerCase()
    const found = choices.find((c) => c === value)
    if (found === undefined) {
      throw this.error(
        key,
        `must be one of ${choices.map((c) => `"${c}"`).join(', ')}, not "${value}"`,
      )
    }
    return found
  }

  bool(key: string, fallback = false): boolean {
    const value = this.#raw[key]
    if (value === undefined) return fallback
    if (typeof value !== 'boolean')
      throw this.error(key, `must be true or false, not ${typeName(value)}`)
    return value
  }

  /** An integer within [min, max]; `fallback` when absent. */
  int(key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.#raw[key]
    if (raw === undefined) return fallback
    const value = typeof raw === 'bigint' ? Number(raw) : raw
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw this.error(key, `must be an integer, not ${typeName(raw)}`)
    }
    if (value < min || value > max)
      throw this.error(key, `must be between ${min} and ${max}, not ${value}`)
    return value
  }

  /** A duration ("10s", "1m30s", or a number of seconds) in milliseconds. */
  duration(key: string, fallbackMs: number): number {
    const raw = this.#raw[key]
    if (raw === undefined) return fallbackMs
    const ms = typeof raw === 'string' || typeof raw === 'number' ? parseDuration(raw) : undefined
    if (ms === undefined)
      throw this.error(key, `must be a duration such as "10s", not ${JSON.stringify(raw)}`)
    return ms
  }

  /** An array of strings; empty when absent. */
  stringList(key: string): string[] {
    const value = this.#raw[key]
    if (value === undefined) return []
    if (!Array.isArray(value))
      throw this.error(key, `must be an array of strings, not ${typeName(value)}`)
    return value.map((item: unknown, i) => {
      if (typeof item !== 'string') {
        throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${this.keyPath(key)}[${i}]`, [
          `must be a string, not ${typeName(item)}`,
        ])
      }
      return item
    })
  }

  /** An array of strings, or one comma-separated string (Pingap accepts both for some keys). */
  stringOrList(key: string): string[] {
    const value = this.#raw[key]
    const items = typeof value === 'string' ? value.split(',') : this.stringList(key)
    return items.map((s) => s.trim()).filter((s) => s !== '')
  }

  /** An array of tables; empty when absent. */
  tableList(key: string): Array<Readonly<Record<string, unknown>>> {
    const value = this.#raw[key]
    if (value === undefined) return []
    const isTable = (v: unknown): v is Record<string, unknown> =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
    if (!Array.isArray(value) || !value.every(isTable)) {
      throw this.error(key, `must be an array of tables, not ${typeName(value)}`)
    }
    return value
  }

  /** A regex option compiled in the linear-time engine; undefined when absent or empty. */
  regex(key: string): RegExp | undefined {
    const pattern = this.string(key)
    return pattern === '' ? undefined : compileSafeRegex(pattern, this.keyPath(key))
  }

  /** Each entry of a string list compiled as a regex. */
  regexList(key: string): RegExp[] {
    return this.stringList(key).map((p, i) => compileSafeRegex(p, `${this.keyPath(key)}[${i}]`))
  }
}
