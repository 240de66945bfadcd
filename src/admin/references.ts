/**
 * Who refers to an item (spec §7.2: a delete of something still used is refused, naming the
 * user): servers list locations, locations name an upstream and plugins, `traffic_splitting`
 * plugins name an upstream, and servers, locations and upstreams include storages.
 */
import { tomlKey } from '../config/problems.ts'
import type { ConfigCategory, RawTable } from '../config/types.ts'
import type { ValidationIssue } from './issues.ts'

function isTable(value: unknown): value is RawTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function items(doc: RawTable, category: string): Array<[string, RawTable]> {
  const section = doc[category]
  if (!isTable(section)) return []
  return Object.entries(section).filter((e): e is [string, RawTable] => isTable(e[1]))
}

function listHas(value: unknown, name: string): boolean {
  return Array.isArray(value) && value.some((v) => typeof v === 'string' && v.trim() === name)
}

/** The paths in `doc` that still refer to `category.name`. */
export function referrers(doc: RawTable, category: ConfigCategory, name: string): string[] {
  const out: string[] = []
  const at = (cat: string, item: string, key: string): string => `${cat}.${tomlKey(item)}.${key}`
  if (category === 'locations') {
    for (const [n, s] of items(doc, 'servers'))
      if (listHas(s['locations'], name)) out.push(at('servers', n, 'locations'))
  }
  if (category === 'upstreams') {
    for (const [n, l] of items(doc, 'locations'))
      if (l['upstream'] === name) out.push(at('locations', n, 'upstream'))
    for (const [n, p] of items(doc, 'plugins'))
      if (p['upstream'] === name) out.push(at('plugins', n, 'upstream'))
  }
  if (category === 'plugins') {
    for (const [n, l] of items(doc, 'locations'))
      if (listHas(l['plugins'], name)) out.push(at('locations', n, 'plugins'))
  }
  if (category === 'storages') {
    for (const cat of ['servers', 'locations', 'upstreams'])
      for (const [n, i] of items(doc, cat))
        if (listHas(i['includes'], name)) out.push(at(cat, n, 'includes'))
  }
  return out
}

/** One issue per referrer of a deleted item, in the candidate document `doc`. */
export function referenceIssues(
  doc: RawTable,
  category: ConfigCategory,
  name: string,
): ValidationIssue[] {
  return referrers(doc, category, name).map((path) => ({
    severity: 'error',
    code: 'PGT_ERR_CONFIG_REF',
    path,
    message: `cannot delete ${category}.${tomlKey(name)}: ${path} still refers to it`,
  }))
}
