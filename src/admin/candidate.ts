/**
 * Item changes and the candidate document they produce. A change names one item (`basic` has
 * the name `''`) and its new table, or `undefined` to delete it. Saves run in dependency order
 * (what is referred to before what refers to it; deletions the other way round), so a config
 * watcher that reads between two saves sees as few dangling references as possible.
 */
import { canonicalJson } from '../core/hash.ts'
import { CONFIG_CATEGORIES, type ConfigCategory, type RawTable } from '../config/types.ts'

export interface ItemChange {
  readonly category: ConfigCategory
  readonly name: string
  readonly value: RawTable | undefined
}

/** Categories ordered from "referred to" to "referring". */
const DEPENDENCY_ORDER: readonly ConfigCategory[] = [
  'storages',
  'certificates',
  'plugins',
  'upstreams',
  'locations',
  'servers',
  'basic',
]

function isTable(value: unknown): value is RawTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The category names accepted in URLs: plural (`upstreams`) or Pingap's singular (`upstream`). */
export function categoryOf(text: string): ConfigCategory | undefined {
  const all: readonly string[] = CONFIG_CATEGORIES
  if (all.includes(text)) return text as ConfigCategory
  if (all.includes(`${text}s`)) return `${text}s` as ConfigCategory
  return undefined
}

/** One item of a raw or parsed document (`basic` is the table itself). */
export function itemOf(doc: object, category: ConfigCategory, name: string): RawTable | undefined {
  const section = (doc as Record<string, unknown>)[category]
  if (!isTable(section)) return undefined
  if (category === 'basic') return section
  const item = section[name]
  return isTable(item) ? item : undefined
}

/** The document with `changes` applied (copies only the categories it touches). */
export function applyChanges(raw: RawTable, changes: readonly ItemChange[]): RawTable {
  const out: RawTable = { ...raw }
  for (const { category, name, value } of changes) {
    if (category === 'basic') {
      if (value === undefined) delete out['basic']
      else out['basic'] = value
      continue
    }
    const existing = out[category]
    const section: RawTable = isTable(existing) ? { ...existing } : {}
    if (value === undefined) delete section[name]
    else section[name] = value
    out[category] = section
  }
  return out
}

function names(doc: object, category: ConfigCategory): string[] {
  const section = (doc as Record<string, unknown>)[category]
  return isTable(section) ? Object.keys(section) : []
}

/** Every item change that turns `from` into `to` (import, rollback). */
export function changesBetween(from: object, to: object): ItemChange[] {
  const changes: ItemChange[] = []
  for (const category of CONFIG_CATEGORIES) {
    const all =
      category === 'basic' ? [''] : [...new Set([...names(from, category), ...names(to, category)])]
    for (const name of all) {
      const before = itemOf(from, category, name)
      const after = itemOf(to, category, name)
      if (category === 'basic' && after !== undefined && Object.keys(after).length === 0) {
        if (before === undefined || Object.keys(before).length === 0) continue
      }
      if (canonicalJson(before ?? null) !== canonicalJson(after ?? null)) {
        changes.push({ category, name, value: after })
      }
    }
  }
  return changes
}

/** The order to save changes in: puts by dependency, then deletes in reverse dependency. */
export function saveOrder(changes: readonly ItemChange[]): ItemChange[] {
  const rank = (c: ItemChange): number => DEPENDENCY_ORDER.indexOf(c.category)
  const puts = changes.filter((c) => c.value !== undefined).sort((a, b) => rank(a) - rank(b))
  const deletes = changes.filter((c) => c.value === undefined).sort((a, b) => rank(b) - rank(a))
  return [...puts, ...deletes]
}
