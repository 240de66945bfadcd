/**
 * Merges separately parsed TOML documents (one per file or key) into one LoadedConfig, as Pingap
 * concatenates a directory's files; an item defined twice is an error naming both files.
 */
import { ConfigError, ConfigErrors } from '../core/errors.ts'
import { sourceKey, tomlKey } from './problems.ts'
import { isTable } from './toml.ts'
import { CONFIG_CATEGORIES, type LoadedConfig, type RawTable } from './types.ts'

/** One parsed document and where it came from. */
export interface TomlDocument {
  readonly file: string
  readonly table: RawTable
}

const ITEM_CATEGORIES: ReadonlySet<string> = new Set(CONFIG_CATEGORIES.filter((c) => c !== 'basic'))

function duplicate(path: string, first: string, second: string): ConfigError {
  return new ConfigError(
    'PGT_ERR_CONFIG_INVALID',
    path,
    [`${path} is defined in both ${first} and ${second}`],
    {
      file: second,
    },
  )
}

/** Merges `docs` in order; throws ConfigErrors when two documents define the same item. */
export function mergeDocuments(docs: readonly TomlDocument[]): LoadedConfig {
  const raw: RawTable = {}
  const sources = new Map<string, string>()
  const errors: ConfigError[] = []
  for (const { file, table } of docs) {
    for (const key of Object.keys(table)) {
      const value = table[key]
      if (
        ITEM_CATEGORIES.has(key) &&
        isTable(value) &&
        (raw[key] === undefined || isTable(raw[key]))
      ) {
        const section = (raw[key] ??= {}) as RawTable
        if (!sources.has(key)) sources.set(key, file)
        for (const name of Object.keys(value)) {
          const itemKey = sourceKey(key, name)
          const first = sources.get(itemKey)
          if (first !== undefined) {
            errors.push(duplicate(`${key}.${tomlKey(name)}`, first, file))
            continue
          }
          section[name] = value[name]
          sources.set(itemKey, file)
        }
        continue
      }
      // [basic], or anything parseConfig will refuse: one document may define it.
      const first = sources.get(key)
      if (first !== undefined) {
        errors.push(duplicate(tomlKey(key), first, file))
        continue
      }
      raw[key] = value
      sources.set(key, file)
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors)
  return { raw, sources }
}
