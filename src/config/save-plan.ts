/**
 * Decides which files an admin write touches (decisions §4, §7): the item goes to its own file
 * (`<category>/<name>.toml`, or `basic.toml`); if it lived in another file, only its own tables
 * are cut out of that file. Pure, so the file and memory stores share it.
 */
import { ConfigError } from '../core/errors.ts'
import { sourceKey } from './problems.ts'
import { removeItem } from './toml-edit.ts'
import { parseToml, stringifyItem } from './toml.ts'
import { CONFIG_CATEGORIES, type ConfigCategory, type RawTable } from './types.ts'

/** What to do, in order: every write (target first), then every delete. */
export interface SavePlan {
  readonly writes: ReadonlyArray<readonly [file: string, text: string]>
  readonly deletes: readonly string[]
}

/** The inputs of a plan: the current text of every file and where the item lives now. */
export interface SaveRequest {
  readonly category: ConfigCategory
  readonly name: string
  readonly value: RawTable | undefined
  /** The item's own file (target of the write). */
  readonly target: string
  /** The file that defines the item today, if any. */
  readonly current: string | undefined
  readonly read: (file: string) => string | undefined
}

/**
 * Refuses a category or name that could not be written safely as `<category>/<name>.toml`:
 * empty, `/`, `\\`, NUL, or a leading dot (hidden files are not read back).
 */
export function checkItemName(category: ConfigCategory, name: string): void {
  if (!(CONFIG_CATEGORIES as readonly string[]).includes(category)) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', String(category), ['unknown config category'])
  }
  if (category === 'basic') return
  if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name)) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', sourceKey(category, name), [
      'invalid config name (empty, leading ".", or contains "/", "\\" or NUL)',
    ])
  }
}

/** The relative file an item is written to: `basic.toml` or `<category>/<name>.toml`. */
export function itemFileName(category: ConfigCategory, name: string): string {
  return category === 'basic' ? 'basic.toml' : `${category}/${name}.toml`
}

function hasData(text: string, file: string): boolean {
  return Object.keys(parseToml(text, file)).length > 0
}

// Whatever else the file holds (other items, comments outside the item) stays above the item.
function withItem(rest: string, item: string): string {
  return rest.trim() === '' ? item : `${rest.trimEnd()}\n\n${item}`
}

/** Plans one save; throws a ConfigError if the item cannot be cut out of its current file. */
export function planSave(req: SaveRequest): SavePlan {
  const { category, name, value, target, current } = req
  const writes: Array<readonly [string, string]> = []
  const deletes: string[] = []
  const targetText = req.read(target) ?? ''
  const targetRest =
    current === target ? removeItem(targetText, category, name, target) : targetText
  if (value !== undefined) {
    writes.push([target, withItem(targetRest, stringifyItem(category, name, value))])
  } else if (current === target) {
    if (hasData(targetRest, target)) writes.push([target, targetRest])
    else deletes.push(target)
  }
  if (current !== undefined && current !== target) {
    writes.push([current, removeItem(req.read(current) ?? '', category, name, current)])
  }
  return { writes, deletes }
}
