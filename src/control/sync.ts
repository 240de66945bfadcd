/**
 * `--sync <url>` (spec §7.1): copies the config of one store into another (files → etcd and
 * back), so the target holds exactly the source's items afterwards. The source must validate.
 */
import { EtcdConfigStore, type ItemChange } from '../config/etcd-store.ts'
import { parseConfig } from '../config/parse.ts'
import type { ConfigStore } from '../config/store.ts'
import { CONFIG_CATEGORIES, type RawTable } from '../config/types.ts'

/** What a sync changed in the target. */
export interface SyncResult {
  readonly written: number
  readonly deleted: number
}

function isTable(value: unknown): value is RawTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Every item of a raw document, as `category.name` → table (`basic` has the name ''). */
function itemsOf(raw: RawTable): Map<string, ItemChange> {
  const out = new Map<string, ItemChange>()
  for (const category of CONFIG_CATEGORIES) {
    const section = raw[category]
    if (!isTable(section)) continue
    if (category === 'basic') {
      out.set('basic', { category, name: '', value: section })
      continue
    }
    for (const [name, value] of Object.entries(section)) {
      if (isTable(value)) out.set(`${category}.${name}`, { category, name, value })
    }
  }
  return out
}

/** Makes `to` hold the items of `from`: writes every item, deletes the ones `from` lacks. */
export async function syncStores(from: ConfigStore, to: ConfigStore): Promise<SyncResult> {
  const source = await from.load()
  // Never spread a config that no node would accept.
  parseConfig(source)
  const wanted = itemsOf(source.raw)
  const present = itemsOf((await to.load()).raw)
  const changes: ItemChange[] = [...wanted.values()]
  for (const [key, item] of present) {
    if (!wanted.has(key)) changes.push({ ...item, value: undefined })
  }
  if (to instanceof EtcdConfigStore) {
    // One transaction: watching nodes see the whole copy or nothing.
    await to.publish(changes)
  } else {
    for (const { category, name, value } of changes) await to.save(category, name, value)
  }
  return { written: wanted.size, deleted: changes.length - wanted.size }
}
