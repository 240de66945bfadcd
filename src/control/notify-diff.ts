/**
 * The texts of the config notifications (spec §8.3, §8.4): `reload_config` names what changed,
 * `diff_config` shows it line by line. Items are compared as `key = value` lines; certificate
 * and key material and storage secrets appear only as `crc32:<HEX>`.
 */
import { crc32 } from 'node:zlib'
import { CONFIG_CATEGORIES, type PingapConfig } from '../config/types.ts'

const MASKED = new Set(['tls_cert', 'tls_key', 'secret'])

function valueText(key: string, value: unknown): string {
  if (MASKED.has(key) && typeof value === 'string') {
    return `"crc32:${crc32(value).toString(16).toUpperCase()}"`
  }
  return JSON.stringify(value)
}

/** One item as sorted `key = value` lines (undefined fields left out). */
export function itemLines(item: unknown): string[] {
  if (typeof item !== 'object' || item === null) return []
  return Object.entries(item)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k} = ${valueText(k, v)}`)
    .sort()
}

interface ItemChange {
  readonly kind: 'added' | 'removed' | 'modified'
  readonly category: string
  readonly name: string
  readonly before: readonly string[]
  readonly after: readonly string[]
}

function items(config: PingapConfig | undefined, category: string): Record<string, unknown> {
  if (config === undefined) return {}
  if (category === 'basic') return { basic: config.basic }
  const section = (config as unknown as Record<string, unknown>)[category]
  return typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {}
}

/** Names in `a` or `b` whose items are not the very same object, sorted. */
function candidates(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  // A version shares its unchanged items with the one before (versions.ts): on 10,000
  // locations the few changed ones are found by identity, and only those are sorted.
  const out: string[] = []
  for (const name of Object.keys(b)) if (!(name in a) || a[name] !== b[name]) out.push(name)
  for (const name of Object.keys(a)) if (!(name in b)) out.push(name)
  return out.sort()
}

/** The names `changes` (a version's `+locations.a`, `~basic`… list) gives per category. */
function named(changes: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const change of changes) {
    const id = /^[+~-]/.test(change) ? change.slice(1) : change
    const dot = id.indexOf('.')
    const [category, name] = dot < 0 ? [id, id] : [id.slice(0, dot), id.slice(dot + 1)]
    const list = out.get(category)
    if (list === undefined) out.set(category, [name])
    else list.push(name)
  }
  for (const list of out.values()) list.sort()
  return out
}

/**
 * Every item that differs between two configs, in category order. `hint` is the version's own
 * change list (versions.ts): with it only those items are compared.
 */
export function configChanges(
  before: PingapConfig | undefined,
  after: PingapConfig,
  hint?: readonly string[],
): ItemChange[] {
  const out: ItemChange[] = []
  const hinted = hint === undefined || before === undefined ? undefined : named(hint)
  for (const category of CONFIG_CATEGORIES) {
    const a = items(before, category)
    const b = items(after, category)
    const names = hinted === undefined ? candidates(a, b) : (hinted.get(category) ?? [])
    for (const name of names) {
      const beforeLines = name in a ? itemLines(a[name]) : []
      const afterLines = name in b ? itemLines(b[name]) : []
      const kind = !(name in a) ? 'added' : !(name in b) ? 'removed' : 'modified'
      if (kind === 'modified' && beforeLines.join('\n') === afterLines.join('\n')) continue
      out.push({ kind, category, name, before: beforeLines, after: afterLines })
    }
  }
  return out
}

/** `reload_config`'s message: one line per changed item. */
export function reloadMessage(version: number, changes: readonly ItemChange[]): string {
  const lines = changes.map((c) => `${c.category}:${c.name} is ${c.kind}`)
  return [`config version ${version} applied`, ...lines].join('\n')
}

/** `diff_config`'s message: `++ [ADDED]`, `-- [REMOVED]`, `[MODIFIED]` with `-`/`+` lines. */
export function diffMessage(changes: readonly ItemChange[]): string {
  const out: string[] = []
  for (const c of changes) {
    const id = `${c.category}:${c.name}`
    if (c.kind === 'added') out.push(`++ [ADDED] ${id}`)
    else if (c.kind === 'removed') out.push(`-- [REMOVED] ${id}`)
    else {
      out.push(`[MODIFIED] ${id}`)
      const after = new Set(c.after)
      const before = new Set(c.before)
      for (const line of c.before) if (!after.has(line)) out.push(`- ${line}`)
      for (const line of c.after) if (!before.has(line)) out.push(`+ ${line}`)
    }
  }
  return out.join('\n')
}
