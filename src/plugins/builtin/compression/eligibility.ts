/**
 * Which responses may be compressed, and the header edits that go with it: `Vary:
 * Accept-Encoding`, no `Content-Length`, and a strong ETag made weak (the bytes change).
 */
import type { OutgoingHttpHeader, OutgoingHttpHeaders } from 'node:http'
import { appendHeader, findHeader, headerValues, removeHeader, setHeader } from '../headers.ts'

/**
 * Types worth compressing downstream. Server-sent events are left out: zlib would hold events
 * back until its buffer fills.
 */
const COMPRESSIBLE =
  /^(text\/(?!event-stream)[\w.+-]+|application\/([\w.-]+\+)?(json|xml|javascript|x-javascript|ecmascript|wasm|rss\+xml|atom\+xml|manifest\+json|vnd\.ms-fontobject|x-font-ttf|graphql-response\+json)|image\/(svg\+xml|x-icon|vnd\.microsoft\.icon|bmp)|font\/(ttf|otf))$/i

/** Pingap's upstream-mode list: `application/json`, `application/xml`, `text/*`. */
const UPSTREAM_TYPES = /^(text\/(?!event-stream)[\w.+-]+|application\/(json|xml))$/i

/** nginx's `gzip_min_length`: smaller bodies grow when compressed. */
const MIN_DOWNSTREAM_LENGTH = 20

function first(value: OutgoingHttpHeader | undefined): string {
  return headerValues(value)[0] ?? ''
}

function mediaType(headers: OutgoingHttpHeaders): string {
  const key = findHeader(headers, 'content-type')
  const value = key === undefined ? '' : first(headers[key])
  return value.split(';')[0]!.trim()
}

/** The response's Content-Encoding ('' when absent or identity). */
export function contentEncoding(headers: OutgoingHttpHeaders): string {
  const key = findHeader(headers, 'content-encoding')
  const value = key === undefined ? '' : first(headers[key]).trim().toLowerCase()
  return value === 'identity' ? '' : value
}

/** The declared body length, or undefined. */
export function contentLength(headers: OutgoingHttpHeaders): number | undefined {
  const key = findHeader(headers, 'content-length')
  if (key === undefined) return undefined
  const n = Number(first(headers[key]))
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined
}

function noTransform(headers: OutgoingHttpHeaders): boolean {
  const key = findHeader(headers, 'cache-control')
  return (
    key !== undefined && /(^|,)\s*no-transform\s*(,|$)/i.test(headerValues(headers[key]).join(','))
  )
}

/** A response that has a body and that no coding or range already shaped. */
function plainBody(status: number, headers: OutgoingHttpHeaders): boolean {
  if (status < 200 || status === 204 || status === 206 || status === 304) return false
  if (findHeader(headers, 'content-range') !== undefined) return false
  return contentEncoding(headers) === '' && !noTransform(headers)
}

/** Downstream mode: a compressible, unencoded, non-partial response of a useful size. */
export function downstreamEligible(status: number, headers: OutgoingHttpHeaders): boolean {
  if (!plainBody(status, headers) || !COMPRESSIBLE.test(mediaType(headers))) return false
  const length = contentLength(headers)
  return length === undefined || length >= MIN_DOWNSTREAM_LENGTH
}

/** Upstream mode (Pingap's rule): the type list, and `min_length` against Content-Length. */
export function upstreamEligible(
  status: number,
  headers: OutgoingHttpHeaders,
  minLength: number,
): boolean {
  if (!plainBody(status, headers) || !UPSTREAM_TYPES.test(mediaType(headers))) return false
  if (minLength === 0) return true
  const length = contentLength(headers)
  return length === undefined || length >= minLength
}

/** Adds `Accept-Encoding` to Vary unless it is there (or Vary is `*`). */
export function addVary(headers: OutgoingHttpHeaders): void {
  const key = findHeader(headers, 'vary')
  if (key === undefined) {
    headers['vary'] = 'Accept-Encoding'
    return
  }
  const tokens = headerValues(headers[key]).join(',').toLowerCase().split(',')
  if (tokens.some((t) => t.trim() === '*' || t.trim() === 'accept-encoding')) return
  appendHeader(headers, 'vary', 'Accept-Encoding')
}

/** Header edits for a body now sent with `encoding` ('' = decoded to identity). */
export function markEncoded(headers: OutgoingHttpHeaders, encoding: string): void {
  removeHeader(headers, 'content-length')
  if (encoding === '') removeHeader(headers, 'content-encoding')
  else setHeader(headers, 'content-encoding', encoding)
  const key = findHeader(headers, 'etag')
  if (key !== undefined) {
    const etag = first(headers[key])
    if (etag.startsWith('"')) headers[key] = `W/${etag}`
  }
}
