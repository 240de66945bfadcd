/**
 * How a location's `path` value reads (spec §2.2): trimmed, then empty = any path, `=x` exact,
 * `~re` unanchored regex, anything else a raw starts-with prefix. Shared by the matcher and the
 * indexed router so both read a path the same way.
 */

export type PathRule =
  | { readonly kind: 'any' }
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly pattern: string }

const ANY: PathRule = { kind: 'any' }

/** Classifies a `path` config value; the text after `=` or `~` is trimmed too (`= /x`). */
export function parsePathRule(path: string | undefined): PathRule {
  const value = (path ?? '').trim()
  if (value === '') return ANY
  if (value.startsWith('~')) return { kind: 'regex', pattern: value.slice(1).trim() }
  if (value.startsWith('=')) return { kind: 'exact', value: value.slice(1).trim() }
  return { kind: 'prefix', value }
}
