/**
 * Cache keys. Primary: namespace, host and URI (path and query), so the same path on two hosts
 * are two entries (hostile-catalogue I1, Pingora CVE-2026-2836). Secondary: keys other plugins
 * add (the coding chosen by upstream-mode compression), the configured request headers, and the
 * method, HEAD sharing GET's entry.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { headerValue, type RequestContext } from '../../../core/context.ts'

/** The primary key of a request. */
export function primaryKey(namespace: string, ctx: RequestContext): string {
  const uri = ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`
  return `${namespace}\u0000${ctx.host}\u0000${uri}`
}

/** The secondary key of a request; `headers` are lower-case names. */
export function secondaryKey(ctx: RequestContext, headers: readonly string[]): string {
  // The usual case (no extra keys, no configured headers) builds no array and no string.
  if (ctx.cacheKeys === undefined && headers.length === 0) return 'GET'
  const parts: string[] = ctx.cacheKeys === undefined ? [] : [...ctx.cacheKeys]
  for (const name of headers) {
    const value = headerValue(ctx.headers, name)
    if (value !== undefined && value !== '') parts.push(value)
  }
  parts.push('GET')
  return parts.join(':')
}

/** The request's values of the headers a response varies on. */
export function varyValues(headers: IncomingHttpHeaders, names: readonly string[]): string[] {
  return names.map((name) => headerValue(headers, name) ?? '')
}
