/**
 * `match_headers`, `match_query` and `match_cookies` (spec §2.2): each entry is `name:value`
 * (the value must be equal) or `name` (the item must be present); all entries must hold.
 * Header names are case-insensitive; the query is read raw (first `k=v` with that exact key, no
 * decoding); cookies come from the `Cookie` header. Names and values are trimmed.
 */
import { ConfigError } from '../core/errors.ts'
import { cookieValue, headerValue, queryValue } from '../core/context.ts'
import type { LocationConf } from '../config/types.ts'
import type { RouteInput } from './types.ts'

export interface Condition {
  readonly name: string
  /** undefined = presence is enough. */
  readonly value: string | undefined
}

export interface Conditions {
  readonly headers: readonly Condition[]
  readonly query: readonly Condition[]
  readonly cookies: readonly Condition[]
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function parseList(
  list: readonly string[] | undefined,
  keyPath: string,
  isHeader: boolean,
): Condition[] {
  return (list ?? []).map((entry, i) => {
    const colon = entry.indexOf(':')
    const rawName = (colon < 0 ? entry : entry.slice(0, colon)).trim()
    const name = isHeader ? rawName.toLowerCase() : rawName
    if (name === '' || (isHeader && !TOKEN.test(name))) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${keyPath}[${i}]`, [
        `"${entry}" must be "name:value" or "name"${isHeader ? ' with a valid header name' : ''}`,
      ])
    }
    return { name, value: colon < 0 ? undefined : entry.slice(colon + 1).trim() }
  })
}

/** Parses the three lists of `locations.<name>`; errors name the entry (`…match_query[1]`). */
export function parseConditions(conf: LocationConf, keyPrefix: string): Conditions | undefined {
  const headers = parseList(conf.match_headers, `${keyPrefix}.match_headers`, true)
  const query = parseList(conf.match_query, `${keyPrefix}.match_query`, false)
  const cookies = parseList(conf.match_cookies, `${keyPrefix}.match_cookies`, false)
  if (headers.length + query.length + cookies.length === 0) return undefined
  return { headers, query, cookies }
}

function holds(condition: Condition, actual: string | undefined): boolean {
  return condition.value === undefined ? actual !== undefined : actual === condition.value
}

/** True when every condition holds for the request. */
export function conditionsHold(conditions: Conditions, input: RouteInput): boolean {
  for (const c of conditions.headers)
    if (!holds(c, headerValue(input.headers, c.name))) return false
  for (const c of conditions.query) if (!holds(c, queryValue(input.query, c.name))) return false
  for (const c of conditions.cookies)
    if (!holds(c, cookieValue(input.headers, c.name))) return false
  return true
}
