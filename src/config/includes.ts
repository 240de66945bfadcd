/**
 * `includes = ["storageName"]` (spec §1.4): the TOML fragment in each named `[storages.*]` value
 * (category `config`) is laid over the item, included keys winning, and `includes` is removed.
 */
import { ConfigError } from '../core/errors.ts'
import { sourceKey, type ItemRef, type Problems } from './problems.ts'
import { isTable, parseToml } from './toml.ts'
import type { RawTable } from './types.ts'

/** An item after include expansion, with the storage each included key came from. */
export interface ExpandedItem {
  readonly table: RawTable
  readonly origin: ReadonlyMap<string, string>
}

/** Parses storage fragments once per parse, however many items include them. */
export class FragmentCache {
  readonly #storages: RawTable
  readonly #problems: Problems
  readonly #parsed = new Map<string, RawTable | undefined>()

  constructor(storages: unknown, problems: Problems) {
    this.#storages = isTable(storages) ? storages : {}
    this.#problems = problems
  }

  /** The storage table `name`, if it exists and is a table. */
  storage(name: string): RawTable | undefined {
    const table = Object.hasOwn(this.#storages, name) ? this.#storages[name] : undefined
    return isTable(table) ? table : undefined
  }

  /** The parsed fragment of storage `name`; undefined when it has no usable TOML value. */
  fragment(name: string): RawTable | undefined {
    if (this.#parsed.has(name)) return this.#parsed.get(name)
    let result: RawTable | undefined
    const value = this.storage(name)?.['value']
    if (typeof value === 'string') {
      const file = this.#problems.fileOf(sourceKey('storages', name))
      try {
        result = parseToml(value, file, `storages.${name}.value`)
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        this.#problems.pushError(err)
      }
    }
    this.#parsed.set(name, result)
    return result
  }
}

function includeNames(item: ItemRef, value: unknown, problems: Problems): string[] {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value
  problems.invalid(item, 'includes', 'expected an array of storage names')
  return []
}

/** Applies the item's `includes`; reports missing or unusable storages to `problems`. */
export function expandIncludes(
  item: ItemRef,
  table: RawTable,
  fragments: FragmentCache,
  problems: Problems,
): ExpandedItem {
  if (!Object.hasOwn(table, 'includes')) return { table, origin: new Map() }
  const merged: RawTable = { ...table }
  delete merged['includes']
  const origin = new Map<string, string>()
  for (const name of includeNames(item, table['includes'], problems)) {
    const storage = fragments.storage(name)
    if (storage === undefined) {
      problems.unknownRef(item, 'includes', 'storage', name)
      continue
    }
    if (storage['category'] !== 'config') {
      problems.invalid(item, 'includes', `storage "${name}" is not of category "config"`)
      continue
    }
    const fragment = fragments.fragment(name)
    if (fragment === undefined) continue
    for (const key of Object.keys(fragment)) {
      if (key === 'includes') {
        problems.invalid(
          { ...item, origin: new Map([[key, name]]) },
          key,
          'includes cannot be nested',
        )
        continue
      }
      merged[key] = fragment[key]
      origin.set(key, name)
    }
  }
  return { table: merged, origin }
}
