/**
 * The one place TOML text becomes data: smol-toml with prototype-safe options, errors turned into
 * ConfigErrors naming file, line and column, and values normalised to plain JSON-like data.
 */
import { parse, stringify, TomlError } from 'smol-toml'
import { ConfigError } from '../core/errors.ts'
import type { RawTable } from './types.ts'

/** True for a non-array object (a TOML table). */
export function isTable(value: unknown): value is RawTable {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  )
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment to "__proto__" would change the prototype instead of adding a key.
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  } else {
    target[key] = value
  }
}

/**
 * Deep copy into plain objects and arrays: null-prototype tables become `{}` and TOML dates become
 * their TOML text, so the result survives JSON round trips (cluster IPC) unchanged.
 */
export function toPlain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(toPlain)
  if (isTable(value)) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) setOwn(out, key, toPlain(value[key]))
    return out
  }
  if (typeof value === 'bigint') return value.toString()
  return value
}

function shortMessage(err: TomlError): string {
  const first = err.message.split('\n')[0] ?? err.message
  return first.replace(/^Invalid TOML document:\s*/, '')
}

/**
 * Parses one TOML document. A syntax error becomes a PGT_ERR_CONFIG_PARSE ConfigError whose path
 * is `line L, column C` and whose file is `file`.
 */
export function parseToml(text: string, file: string | undefined, path = ''): RawTable {
  try {
    return toPlain(parse(text, { unsafeKeyBehaviour: 'throw' })) as RawTable
  } catch (err) {
    if (err instanceof TomlError) {
      const where = `line ${err.line}, column ${err.column}`
      return throwParse(path === '' ? where : `${path} (${where})`, shortMessage(err), err, file)
    }
    const message = err instanceof Error ? err.message : String(err)
    return throwParse(path, message, err, file)
  }
}

function throwParse(
  path: string,
  message: string,
  cause: unknown,
  file: string | undefined,
): never {
  throw new ConfigError('PGT_ERR_CONFIG_PARSE', path, [message], { cause, file })
}

/** The TOML text of one item as Pingap writes it: `[<category>.<name>]` (or `[basic]`). */
export function stringifyItem(category: string, name: string, value: RawTable): string {
  const doc = category === 'basic' ? { basic: value } : { [category]: { [name]: value } }
  return `${stringify(doc).trimEnd()}\n`
}
