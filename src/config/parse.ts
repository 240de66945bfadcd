/**
 * Raw TOML (as a store loaded it) in, validated PingapConfig out. Pure: no I/O, no regex
 * compilation (the router does that in the snapshot build, which `-t` also runs). Every problem
 * found is collected and thrown together as ConfigErrors.
 */
import { hashConfig } from '../core/hash.ts'
import { expandIncludes, FragmentCache } from './includes.ts'
import { itemPath, Problems, type ItemRef } from './problems.ts'
import { checkLocations, checkServers, checkUpstreams, type CheckedItem } from './rules.ts'
import { INCLUDE_CATEGORIES, SCHEMAS, type TableSchema } from './schema.ts'
import { suggestionText } from './suggest.ts'
import { isTable, toPlain } from './toml.ts'
import { checkValue } from './values.ts'
import {
  CONFIG_CATEGORIES,
  type BasicConf,
  type CertificateConf,
  type ConfigCategory,
  type LoadedConfig,
  type LocationConf,
  type PingapConfig,
  type PluginConf,
  type RawTable,
  type ServerConf,
  type StorageConf,
  type UpstreamConf,
} from './types.ts'

type ItemCategory = Exclude<ConfigCategory, 'basic'>

const INCLUDES: ReadonlySet<string> = new Set(INCLUDE_CATEGORIES)

/** Checks every key of `table` against `schema`; returns the table with the kept values. */
function checkTable(
  schema: TableSchema,
  ref: ItemRef,
  table: RawTable,
  problems: Problems,
): RawTable {
  const out: RawTable = {}
  const known = Object.keys(schema.keys)
  for (const key of Object.keys(table)) {
    const spec = Object.hasOwn(schema.keys, key) ? schema.keys[key] : undefined
    if (spec === undefined) {
      if (schema.open === true) out[key] = toPlain(table[key])
      else problems.unknownKey(ref, key, suggestionText(key, known))
      continue
    }
    const result = checkValue(spec, table[key])
    if (result.ok) out[key] = result.value
    else problems.invalid(ref, key, result.message)
  }
  for (const [key, spec] of Object.entries(schema.keys)) {
    if (spec.required === true && !Object.hasOwn(table, key)) {
      problems.invalid(ref, key, `missing required key "${key}"`)
    }
  }
  return out
}

function checkName(ref: ItemRef, problems: Problems): boolean {
  if (ref.name === '' || /[/\\\0]/.test(ref.name)) {
    problems.invalid(ref, '', 'invalid config name (empty, or contains "/", "\\" or NUL)')
    return false
  }
  return true
}

/** Checks every item of one category; returns them in file order. */
function checkCategory(
  category: ItemCategory,
  section: unknown,
  fragments: FragmentCache,
  problems: Problems,
): CheckedItem[] {
  if (section === undefined) return []
  if (!isTable(section)) {
    const message = `expected tables [${category}.<name>]`
    problems.push('PGT_ERR_CONFIG_INVALID', category, [message], problems.fileOf(category))
    return []
  }
  const items: CheckedItem[] = []
  for (const name of Object.keys(section)) {
    const plain: ItemRef = { category, name }
    const value = section[name]
    if (!isTable(value)) {
      problems.invalid(plain, '', `expected a table [${itemPath(plain)}]`)
      continue
    }
    if (!checkName(plain, problems)) continue
    const { table, origin } = INCLUDES.has(category)
      ? expandIncludes(plain, value, fragments, problems)
      : { table: value, origin: new Map<string, string>() }
    const ref: ItemRef = { category, name, origin }
    items.push({ ref, table: checkTable(SCHEMAS[category], ref, table, problems) })
  }
  return items
}

function checkTopLevel(raw: RawTable, problems: Problems): void {
  for (const key of Object.keys(raw)) {
    if ((CONFIG_CATEGORIES as readonly string[]).includes(key)) continue
    problems.push(
      'PGT_ERR_CONFIG_UNKNOWN_KEY',
      key,
      [key, suggestionText(key, CONFIG_CATEGORIES)],
      problems.fileOf(key),
    )
  }
}

function checkBasic(section: unknown, problems: Problems): RawTable {
  const ref: ItemRef = { category: 'basic', name: '' }
  if (section === undefined) return {}
  if (!isTable(section)) {
    problems.invalid(ref, '', 'expected a table [basic]')
    return {}
  }
  return checkTable(SCHEMAS.basic, ref, section, problems)
}

function toRecord<T>(items: readonly CheckedItem[]): Record<string, T> {
  const out: Record<string, T> = {}
  for (const { ref, table } of items) out[ref.name] = table as T
  return out
}

/** Validates a loaded config; throws ConfigErrors listing every problem found. */
export function parseConfig(loaded: LoadedConfig): PingapConfig {
  const problems = new Problems(loaded.sources)
  // Stores hand over plain data already; checkTable copies what it keeps (and normalises the
  // free-form plugin options), so the raw document is never copied as a whole.
  const raw = isTable(loaded.raw) ? loaded.raw : {}
  checkTopLevel(raw, problems)
  const fragments = new FragmentCache(raw['storages'], problems)
  const basic = checkBasic(raw['basic'], problems)
  const items = {} as Record<ItemCategory, CheckedItem[]>
  for (const category of CONFIG_CATEGORIES) {
    if (category !== 'basic')
      items[category] = checkCategory(category, raw[category], fragments, problems)
  }
  const names = (list: readonly CheckedItem[]): Set<string> => new Set(list.map((i) => i.ref.name))
  const known = {
    locations: names(items.locations),
    upstreams: names(items.upstreams),
    plugins: names(items.plugins),
  }
  checkServers(items.servers, known, problems)
  checkLocations(items.locations, known, problems)
  checkUpstreams(items.upstreams, problems)
  problems.throwIfAny()

  const body = {
    basic: basic as BasicConf,
    servers: toRecord<ServerConf>(items.servers),
    locations: toRecord<LocationConf>(items.locations),
    upstreams: toRecord<UpstreamConf>(items.upstreams),
    plugins: toRecord<PluginConf>(items.plugins),
    certificates: toRecord<CertificateConf>(items.certificates),
    storages: toRecord<StorageConf>(items.storages),
  }
  return { ...body, hash: hashConfig(body) }
}
