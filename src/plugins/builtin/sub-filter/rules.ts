/**
 * Substitution rules, nginx-style: `sub_filter '<text>' '<replacement>' [g][i]` replaces literal
 * text, `subs_filter '<regex>' '<replacement>' [g][i]` a pattern (linear-time engine, so no
 * rule can stall the proxy). Without `g` only the first occurrence is replaced. Regex
 * replacements use Pingap's syntax (`$1`, `${1}`, `$name`, `${name}`, `$$`).
 */
import { ConfigError } from '../../../core/errors.ts'
import { compileSafeRegex } from '../../conf.ts'
import { foldCase } from './fold.ts'

/** One compiled rule. */
export interface SubRule {
  readonly pattern: RegExp
  /** A replacement template in JS syntax, or a literal returned by a function. */
  readonly replacement: string | (() => string)
}

const RULE = /^\s*(sub_filter|subs_filter)\s+'([^']*)'\s+'([^']*)'\s*([a-z]*)\s*$/

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** Translates Pingap's (Rust) replacement syntax into a JS replacement template. */
export function jsReplacement(template: string): string {
  let out = ''
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!
    if (c !== '$') {
      out += c
      continue
    }
    const rest = template.slice(i + 1)
    const braced = /^\{([A-Za-z0-9_]+)\}/.exec(rest)
    const bare = /^([A-Za-z0-9_]+)/.exec(rest)
    const name = braced?.[1] ?? bare?.[1]
    if (name === undefined) {
      out += '$$' // `$$`, or a `$` that starts nothing: a literal dollar
      if (rest.startsWith('$')) i++
      continue
    }
    out += /^\d+$/.test(name) ? `$${name}` : `$<${name}>`
    i += (braced?.[0] ?? name).length
  }
  return out
}

/** Parses one `filters` entry; `path` is its key path for errors. */
export function parseRule(entry: string, path: string): SubRule {
  const m = RULE.exec(entry)
  if (m === null) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [
      `"${entry}" is not "sub_filter '<text>' '<replacement>' [flags]" or "subs_filter …"`,
    ])
  }
  const [, kind, find = '', replace = '', flags = ''] = m
  if (find === '') throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, ['the pattern is empty'])
  if (/[^gi]/.test(flags) || new Set(flags).size !== flags.length) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [`unknown flags "${flags}" (g, i)`])
  }
  const regex = kind === 'subs_filter'
  const source = regex ? compileSafeRegex(find, path).source : escapeRegex(find)
  // V8's linear-time engine refuses `i`: the pattern spells out both cases instead.
  const folded = flags.includes('i') ? foldCase(source) : source
  const pattern = compileSafeRegex(folded, path)
  const global = flags.includes('g') ? new RegExp(pattern, `${pattern.flags}g`) : pattern
  return { pattern: global, replacement: regex ? jsReplacement(replace) : () => replace }
}

/** Applies every rule in order. */
export function applyRules(rules: readonly SubRule[], text: string): string {
  let out = text
  for (const rule of rules) {
    rule.pattern.lastIndex = 0
    out =
      typeof rule.replacement === 'string'
        ? out.replace(rule.pattern, rule.replacement)
        : out.replace(rule.pattern, rule.replacement)
  }
  return out
}
