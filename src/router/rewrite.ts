/**
 * `rewrite = "<pattern> <replacement>"` (spec §2.5). The text is split on single spaces: two
 * parts are pattern and replacement; one part containing `$` is a replacement for the whole
 * path (pattern `.*`); otherwise the replacement is empty (`"^/api"` strips the prefix). Only
 * the first match is replaced. The caller re-appends the query.
 *
 * Replacement syntax is Rust's `regex` one, expanded here rather than by JS `replace` so it
 * behaves the same: `$$` is a `$`; `$name` takes the longest run of `[0-9A-Za-z_]`; `${name}`
 * is braced; a number refers to a group by index; a reference to nothing expands to ''.
 *
 * Variables (Pingap quirk Q10, decisions §1: documented intent, not the quirk): Pingap pastes
 * each request variable into the replacement by its *bare* name, which also clobbers literal
 * text equal to a variable name. pingap-ts instead resolves `$name` / `${name}` references: a
 * group of the rewrite regex first, then a request variable (host/path captures). With the
 * pattern `.*` the replacement is used verbatim except for `$$` and references to request
 * variables; a reference that resolves to nothing is then kept as written.
 */
import { compileUserRegex } from './regex.ts'
import type { RewriteResult, Rewriter } from './types.ts'

type Piece = string | { readonly ref: string; readonly text: string }

const NAME = /^[0-9A-Za-z_]+/
const DIGITS = /^\d+$/

/** Splits a Rust-style replacement into literal text and `$` references. */
function parseTemplate(template: string): Piece[] {
  const pieces: Piece[] = []
  let literal = ''
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!
    if (c !== '$') {
      literal += c
      continue
    }
    let ref: string | undefined
    let length = 0
    if (template[i + 1] === '$') {
      literal += '$'
      i += 1
      continue
    }
    if (template[i + 1] === '{') {
      const end = template.indexOf('}', i + 2)
      if (end > i + 2) {
        ref = template.slice(i + 2, end)
        length = end + 1 - i
      }
    } else {
      const name = NAME.exec(template.slice(i + 1))?.[0]
      if (name !== undefined) {
        ref = name
        length = name.length + 1
      }
    }
    if (ref === undefined) {
      literal += '$'
      continue
    }
    if (literal !== '') pieces.push(literal)
    literal = ''
    pieces.push({ ref, text: template.slice(i, i + length) })
    i += length - 1
  }
  if (literal !== '') pieces.push(literal)
  return pieces
}

function expand(
  pieces: readonly Piece[],
  m: RegExpExecArray | undefined,
  variables: ReadonlyMap<string, string> | undefined,
): string {
  let out = ''
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      out += piece
    } else if (m === undefined) {
      out += variables?.get(piece.ref) ?? piece.text
    } else if (DIGITS.test(piece.ref)) {
      out += m[Number(piece.ref)] ?? ''
    } else if (m.groups !== undefined && piece.ref in m.groups) {
      out += m.groups[piece.ref] ?? ''
    } else {
      out += variables?.get(piece.ref) ?? ''
    }
  }
  return out
}

function namedCaptures(m: RegExpExecArray): ReadonlyMap<string, string> | undefined {
  if (m.groups === undefined) return undefined
  const captures = new Map<string, string>()
  for (const name in m.groups) {
    const value = m.groups[name]
    if (value !== undefined) captures.set(name, value)
  }
  return captures.size === 0 ? undefined : captures
}

/** Compiles a `rewrite` value; `path` (e.g. `locations.api.rewrite`) names the key in errors. */
export function compileRewrite(text: string, path: string): Rewriter {
  const parts = text.split(' ')
  let pattern = parts[0]!
  let replacement = parts.length === 2 ? parts[1]! : ''
  if (parts.length === 1 && pattern.includes('$')) {
    replacement = pattern
    pattern = '.*'
  }
  const pieces = parseTemplate(replacement)
  if (pattern === '.*') {
    return {
      rewrite(current, variables): RewriteResult | undefined {
        const result = expand(pieces, undefined, variables)
        return result === current ? undefined : { path: result, captures: undefined }
      },
    }
  }
  const re = compileUserRegex(pattern, path)
  return {
    rewrite(current, variables): RewriteResult | undefined {
      const m = re.exec(current)
      if (m === null) return undefined
      const result =
        current.slice(0, m.index) +
        expand(pieces, m, variables) +
        current.slice(m.index + m[0].length)
      return result === current ? undefined : { path: result, captures: namedCaptures(m) }
    },
  }
}
