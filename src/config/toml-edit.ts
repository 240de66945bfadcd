/**
 * Removes one item's tables (`[locations.api]`, its sub-tables) from hand-written TOML text and
 * keeps every other line, comments included (decisions §7: only the edited item's own table may
 * lose its comments). The result is verified by parsing; anything unexpected refuses the edit.
 */
import { isDeepStrictEqual } from 'node:util'
import { ConfigError } from '../core/errors.ts'
import { sourceKey } from './problems.ts'
import { isTable, parseToml } from './toml.ts'
import type { RawTable } from './types.ts'

const HEADER = /^\s*(\[\[?)(.*?)(\]\]?)\s*(#.*)?$/

/** Splits a TOML dotted key (`a."b.c".'d'`) into its parts; undefined if it is not one. */
export function splitDottedKey(text: string): string[] | undefined {
  const parts: string[] = []
  let i = 0
  const s = text.trim()
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === '\t') i++
    let part: string
    if (s[i] === '"' || s[i] === "'") {
      const quote = s[i]
      let j = i + 1
      while (j < s.length && s[j] !== quote) j += s[j] === '\\' && quote === '"' ? 2 : 1
      if (j >= s.length) return undefined
      const literal = s.slice(i, j + 1)
      try {
        part = quote === '"' ? (JSON.parse(literal) as string) : literal.slice(1, -1)
      } catch {
        return undefined
      }
      i = j + 1
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(s.slice(i))
      if (m === null) return undefined
      part = m[0]
      i += part.length
    }
    parts.push(part)
    while (s[i] === ' ' || s[i] === '\t') i++
    if (i < s.length) {
      if (s[i] !== '.') return undefined
      i++
    }
  }
  return parts
}

function startsWithPath(parts: readonly string[], prefix: readonly string[]): boolean {
  return prefix.every((p, i) => parts[i] === p)
}

// The comment paragraph right above a header describes that header's table: keep it when the
// table before it is removed. Returns how many trailing lines of `removed` form that paragraph.
function attachedComments(removed: readonly string[]): number {
  let n = 0
  while (n < removed.length && /^\s*#/.test(removed[removed.length - 1 - n] ?? '')) n++
  return n
}

/** Removes the header-introduced tables under `prefix` (text only, not verified). */
function removeTables(text: string, prefix: readonly string[]): string {
  const kept: string[] = []
  let removed: string[] = []
  let removing = false
  let multiline: string | undefined
  for (const line of text.split('\n')) {
    if (multiline === undefined) {
      const m = HEADER.exec(line)
      const parts = m === null ? undefined : splitDottedKey(m[2] ?? '')
      if (parts !== undefined) {
        const next = startsWithPath(parts, prefix)
        if (removing && !next)
          kept.push(...removed.slice(removed.length - attachedComments(removed)))
        removed = []
        removing = next
      }
    }
    // Track multi-line strings so that a "[x]" line inside one is not taken for a header.
    for (const delim of line.match(/"""|'''/g) ?? []) {
      if (multiline === undefined) multiline = delim
      else if (multiline === delim) multiline = undefined
    }
    if (removing) removed.push(line)
    else kept.push(line)
  }
  return kept.join('\n')
}

// Empty category tables carry no meaning; ignore them when comparing documents.
function pruned(doc: RawTable): RawTable {
  const out: RawTable = {}
  for (const [key, value] of Object.entries(doc)) {
    if (key !== 'basic' && isTable(value) && Object.keys(value).length === 0) continue
    out[key] = value
  }
  return out
}

function without(doc: RawTable, prefix: readonly string[]): RawTable {
  const [category = '', name] = prefix
  const out: RawTable = { ...doc }
  if (name === undefined) {
    delete out[category]
  } else if (isTable(out[category])) {
    const section = { ...out[category] }
    delete section[name]
    out[category] = section
  }
  return pruned(out)
}

/**
 * Returns `text` without the item's tables. Throws a ConfigError when the item is written in a
 * form this edit cannot remove safely (inline table, dotted keys under `[locations]`, …).
 */
export function removeItem(text: string, category: string, name: string, file: string): string {
  const prefix = category === 'basic' ? ['basic'] : [category, name]
  const result = removeTables(text, prefix)
  const expected = without(parseToml(text, file), prefix)
  let actual: RawTable | undefined
  try {
    actual = parseToml(result, file)
  } catch {
    actual = undefined
  }
  if (actual === undefined || !isDeepStrictEqual(pruned(actual), expected)) {
    const path = sourceKey(category, name)
    throw new ConfigError(
      'PGT_ERR_CONFIG_INVALID',
      path,
      [`cannot move ${path} out of ${file} automatically; edit that file by hand`],
      { file },
    )
  }
  return result
}
