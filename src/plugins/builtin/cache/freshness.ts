/**
 * Whether a response may be stored, and for how long (RFC 9111 §3, §4.2, with Pingap's rules):
 * `no-store`, `no-cache`, `private`, `Set-Cookie` and `Vary: *` are never stored; freshness comes
 * from `s-maxage`, then `max-age`, then `Expires` − `Date`; a response without Cache-Control gets
 * one second unless `check_cache_control` is set; `max_ttl` caps it; `Age` is subtracted.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { findHeader, headerValues } from '../headers.ts'

/** Statuses that may be stored when the response says how long (RFC 9110 §15.1). */
const CACHEABLE_STATUS: ReadonlySet<number> = new Set([
  200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501,
])

/** How long a stored response stays fresh, and the grace after it. */
export interface Freshness {
  /** Milliseconds of freshness left when stored (Age already subtracted). */
  readonly ttlMs: number
  /** `stale-while-revalidate` window after freshness ends, in ms (0 = none). */
  readonly staleMs: number
  /** Seconds the response had already spent in caches upstream (`Age`). */
  readonly age: number
}

export interface FreshnessRules {
  /** 0 = no cap. */
  readonly maxTtlMs: number
  readonly checkCacheControl: boolean
}

function values(headers: OutgoingHttpHeaders, name: string): string[] {
  const key = findHeader(headers, name)
  return key === undefined ? [] : headerValues(headers[key])
}

/** Cache-Control directives, lower-cased names; `undefined` value for a bare directive. */
export function parseCacheControl(header: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>()
  for (const part of header.split(',')) {
    const eq = part.indexOf('=')
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === '') continue
    const value =
      eq < 0
        ? undefined
        : part
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, '')
    if (!out.has(name)) out.set(name, value)
  }
  return out
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined
  return Number(value)
}

function expiresTtl(headers: OutgoingHttpHeaders, now: number): number | undefined {
  const expires = values(headers, 'expires')[0]
  if (expires === undefined) return undefined
  const at = Date.parse(expires)
  if (Number.isNaN(at)) return 0 // an invalid Expires means "already expired" (RFC 9111 §5.3)
  const date = Date.parse(values(headers, 'date')[0] ?? '')
  return Math.floor((at - (Number.isNaN(date) ? now : date)) / 1000)
}

/** Freshness of a response, or undefined when it must not be stored. */
export function freshness(
  status: number,
  headers: OutgoingHttpHeaders,
  rules: FreshnessRules,
  now: number,
): Freshness | undefined {
  if (!CACHEABLE_STATUS.has(status)) return undefined
  if (findHeader(headers, 'set-cookie') !== undefined) return undefined
  if (values(headers, 'vary').some((v) => v.split(',').some((t) => t.trim() === '*'))) {
    return undefined
  }
  const raw = values(headers, 'cache-control')
  const cc = parseCacheControl(raw.join(','))
  if (cc.has('no-store') || cc.has('no-cache') || cc.has('private')) return undefined
  let ttl = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age')) ?? expiresTtl(headers, now)
  if (ttl === undefined) {
    if (raw.length > 0 || rules.checkCacheControl) return undefined
    ttl = 1 // Pingap's default freshness for a response that says nothing
  }
  const age = seconds(values(headers, 'age')[0]) ?? 0
  let ttlMs = (ttl - age) * 1000
  if (rules.maxTtlMs > 0) ttlMs = Math.min(ttlMs, rules.maxTtlMs)
  if (ttlMs <= 0) return undefined
  const revalidate = cc.has('must-revalidate') || cc.has('proxy-revalidate')
  const swr = revalidate ? 0 : (seconds(cc.get('stale-while-revalidate')) ?? 0)
  return { ttlMs, staleMs: swr * 1000, age }
}
