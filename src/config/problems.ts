/**
 * Collects every config problem of one parse, each attributed to its file and dotted TOML path,
 * so `-t` can print them all at once (ConfigErrors).
 */
import { ConfigError, ConfigErrors, type ErrorCode } from '../core/errors.ts'
import type { ConfigCategory, SourceMap } from './types.ts'

/** One config item being checked; `origin` says which keys came from which included storage. */
export interface ItemRef {
  readonly category: ConfigCategory
  readonly name: string
  readonly origin?: ReadonlyMap<string, string>
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/

/** A TOML key as it would be written in a dotted path (quoted when it is not a bare key). */
export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : JSON.stringify(key)
}

/** The key of an item in a SourceMap: `"basic"` or `"<category>.<name>"` (name unquoted). */
export function sourceKey(category: string, name: string): string {
  return category === 'basic' ? 'basic' : `${category}.${name}`
}

/** The dotted TOML path of an item: `basic`, `locations.api`, `plugins."a.b"`. */
export function itemPath(item: ItemRef): string {
  return item.category === 'basic' ? 'basic' : `${item.category}.${tomlKey(item.name)}`
}

/** The problem list of one parse. */
export class Problems {
  readonly #errors: ConfigError[] = []
  readonly #seen = new Set<string>()
  readonly #sources: SourceMap

  constructor(sources: SourceMap) {
    this.#sources = sources
  }

  /** The file that holds `key` (a SourceMap key), when known. */
  fileOf(key: string): string | undefined {
    return this.#sources.get(key)
  }

  /** Records one problem; an identical one (same file, path and text) is kept once. */
  push(code: ErrorCode, path: string, args: readonly unknown[], file: string | undefined): void {
    const error = new ConfigError(code, path, args, { file })
    if (this.#seen.has(error.message)) return
    this.#seen.add(error.message)
    this.#errors.push(error)
  }

  /** Records an error already built elsewhere (e.g. a TOML syntax error in a storage value). */
  pushError(error: ConfigError): void {
    if (this.#seen.has(error.message)) return
    this.#seen.add(error.message)
    this.#errors.push(error)
  }

  // Where a key of an item is reported: keys that came from an included storage are reported
  // where they are written (the storage's value), noting the item that included them.
  #locate(item: ItemRef, key: string): { path: string; file: string | undefined; note: string } {
    const storage = key === '' ? undefined : item.origin?.get(key)
    if (storage !== undefined) {
      return {
        path: `storages.${tomlKey(storage)}.value.${tomlKey(key)}`,
        file: this.fileOf(sourceKey('storages', storage)),
        note: ` (included by ${itemPath(item)})`,
      }
    }
    const base = itemPath(item)
    return {
      path: key === '' ? base : `${base}.${tomlKey(key)}`,
      file: this.fileOf(sourceKey(item.category, item.name)),
      note: '',
    }
  }

  /** A bad value or item (`key` = '' for the item itself). */
  invalid(item: ItemRef, key: string, message: string): void {
    const at = this.#locate(item, key)
    this.push('PGT_ERR_CONFIG_INVALID', at.path, [`${message}${at.note}`], at.file)
  }

  /** A key the schema does not know; `suggestion` is the "did you mean" text or ''. */
  unknownKey(item: ItemRef, key: string, suggestion: string): void {
    const at = this.#locate(item, key)
    this.push('PGT_ERR_CONFIG_UNKNOWN_KEY', at.path, [key, `${suggestion}${at.note}`], at.file)
  }

  /** A reference to an item that does not exist (`kind` = location, upstream, plugin, storage). */
  unknownRef(item: ItemRef, key: string, kind: string, name: string): void {
    const at = this.#locate(item, key)
    if (at.note === '') this.push('PGT_ERR_CONFIG_REF', at.path, [kind, name], at.file)
    else
      this.push('PGT_ERR_CONFIG_INVALID', at.path, [`unknown ${kind} "${name}"${at.note}`], at.file)
  }

  get count(): number {
    return this.#errors.length
  }

  /** Throws ConfigErrors listing every problem, if there is any. */
  throwIfAny(): void {
    if (this.#errors.length > 0) throw new ConfigErrors(this.#errors)
  }
}
