/**
 * Secrets never leave the admin API in full (control-plane.md §3.1): private keys, passwords,
 * JWT and storage secrets, credentials lists, webhook URLs (they carry access tokens) and the
 * admin users' hashes are replaced by `<redacted sha256:0123456789ab>`. The digest lets a reader
 * see that a secret changed; a write that sends the placeholder back keeps the current value.
 */
import { createHash } from 'node:crypto'
import { tomlKey } from '../config/problems.ts'
import type { ConfigCategory, RawTable } from '../config/types.ts'
import { ConfigError } from '../core/errors.ts'
import { canonicalJson } from '../core/hash.ts'

/** Keys whose values are secret wherever they appear. */
const SECRET_KEYS: ReadonlySet<string> = new Set([
  'secret',
  'password',
  'passwd',
  'tls_key',
  'private_key',
  'client_secret',
  'api_key',
  'access_token',
  'authorizations',
  'keys',
  'webhook',
  'admin_users',
])

/** Plugin options that are secret for one plugin category only (`key` of `csrf` signs tokens). */
const PLUGIN_SECRET_KEYS: Readonly<Record<string, readonly string[]>> = { csrf: ['key'] }

const PLACEHOLDER = /^<redacted sha256:([0-9a-f]{12})>$/

function isTable(value: unknown): value is RawTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The placeholder shown instead of `value`. */
export function redactedText(value: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 12)
  return `<redacted sha256:${digest}>`
}

function isSecret(key: string, extra: readonly string[]): boolean {
  return SECRET_KEYS.has(key) || extra.includes(key)
}

function extraKeys(category: string, item: RawTable): readonly string[] {
  if (category !== 'plugins') return []
  const kind = item['category']
  return typeof kind === 'string' ? (PLUGIN_SECRET_KEYS[kind] ?? []) : []
}

function redactTable(table: RawTable, extra: readonly string[]): RawTable {
  const out: RawTable = {}
  for (const [key, value] of Object.entries(table)) {
    if (isSecret(key, extra) && value !== undefined && value !== '') out[key] = redactedText(value)
    else if (isTable(value)) out[key] = redactTable(value, [])
    else out[key] = value
  }
  return out
}

/** One item with its secrets replaced. */
export function redactItem(category: string, item: RawTable): RawTable {
  return redactTable(item, extraKeys(category, item))
}

/** A category map (`name → item`, or the basic table) with secrets replaced. */
export function redactCategory(category: ConfigCategory, value: unknown): unknown {
  if (!isTable(value)) return value
  if (category === 'basic') return redactItem('basic', value)
  const out: RawTable = {}
  for (const [name, item] of Object.entries(value)) {
    out[name] = isTable(item) ? redactItem(category, item) : item
  }
  return out
}

/** A whole config (any object with category keys) with secrets replaced. */
export function redactConfig<T extends object>(config: T): T {
  const out: RawTable = {}
  for (const [key, value] of Object.entries(config)) {
    out[key] = key === 'hash' ? value : redactCategory(key as ConfigCategory, value)
  }
  return out as T
}

function restoreTable(incoming: RawTable, current: RawTable | undefined, path: string): RawTable {
  const out: RawTable = {}
  for (const [key, value] of Object.entries(incoming)) {
    const here = `${path}.${tomlKey(key)}`
    const before = current?.[key]
    if (typeof value === 'string') {
      const m = PLACEHOLDER.exec(value)
      if (m !== null) {
        if (before === undefined || redactedText(before) !== value) {
          throw new ConfigError('PGT_ERR_CONFIG_INVALID', here, [
            'a redacted placeholder can only keep the current value; send the new value in full',
          ])
        }
        out[key] = before
        continue
      }
    }
    out[key] = isTable(value)
      ? restoreTable(value, isTable(before) ? before : undefined, here)
      : value
  }
  return out
}

/**
 * Replaces each placeholder in an incoming item by the current value it stands for; throws a
 * ConfigError when a placeholder does not match (the secret changed meanwhile, or was made up).
 */
export function restoreSecrets(
  incoming: RawTable,
  current: RawTable | undefined,
  itemPath: string,
): RawTable {
  return restoreTable(incoming, current, itemPath)
}
