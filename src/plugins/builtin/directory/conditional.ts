/**
 * Validators and conditional requests (RFC 9110 §13): `If-None-Match` (weak comparison, `*`),
 * `If-Modified-Since` (only without `If-None-Match`), and `If-Range` (strong comparison, so a
 * weak ETag never matches and the full body is sent, or an exact `Last-Modified` date).
 */
import type { IncomingHttpHeaders } from 'node:http'

/** Pingap's weak ETag: `W/"<size hex>-<mtime seconds hex>"`. */
export function weakEtag(size: number, mtimeMs: number): string {
  return `W/"${size.toString(16)}-${Math.floor(mtimeMs / 1000).toString(16)}"`
}

function opaque(tag: string): string {
  const t = tag.trim()
  return t.startsWith('W/') ? t.slice(2) : t
}

/** True when `If-None-Match` lists `etag` (weak comparison) or is `*`. */
export function noneMatch(header: string, etag: string): boolean {
  const wanted = opaque(etag)
  for (const candidate of header.split(',')) {
    const c = candidate.trim()
    if (c === '*' || opaque(c) === wanted) return true
  }
  return false
}

function seconds(date: string): number | undefined {
  const ms = Date.parse(date)
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000)
}

/**
 * True when the client's copy is current, so a GET or HEAD gets 304. `lastModifiedMs` may be
 * undefined when the resource has no date.
 */
export function notModified(
  headers: IncomingHttpHeaders,
  etag: string | undefined,
  lastModifiedMs: number | undefined,
): boolean {
  const inm = headers['if-none-match']
  if (inm !== undefined) return etag !== undefined && noneMatch(inm, etag)
  const ims = headers['if-modified-since']
  if (ims === undefined || lastModifiedMs === undefined) return false
  const since = seconds(ims)
  return since !== undefined && Math.floor(lastModifiedMs / 1000) <= since
}

/** True when a Range may be honoured: no `If-Range`, or one that still matches the resource. */
export function rangeApplies(
  headers: IncomingHttpHeaders,
  etag: string | undefined,
  lastModifiedMs: number | undefined,
): boolean {
  const ifRange = headers['if-range']
  if (ifRange === undefined) return true
  const value = (Array.isArray(ifRange) ? (ifRange[0] ?? '') : ifRange).trim()
  if (value.startsWith('"')) return etag !== undefined && !etag.startsWith('W/') && value === etag
  if (value.startsWith('W/')) return false
  const since = seconds(value)
  return (
    since !== undefined &&
    lastModifiedMs !== undefined &&
    since === Math.floor(lastModifiedMs / 1000)
  )
}

/** An HTTP date for `Last-Modified` (second precision). */
export function httpDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toUTCString()
}
