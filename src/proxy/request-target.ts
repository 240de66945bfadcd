/**
 * Splits a request target into path, query and (for absolute-form targets) authority
 * (RFC 9112 §3.2). Origin-form is the fast path; `*`, authority-form and fragments are refused.
 */

export interface RequestTarget {
  /** Raw path, not yet normalised. */
  readonly path: string
  /** Raw query without `?`. */
  readonly query: string
  /** Host of an absolute-form target (`http://b.test/x`), lower-cased, port stripped. */
  readonly authority: string | undefined
}

function splitQuery(pathAndQuery: string, authority: string | undefined): RequestTarget {
  const q = pathAndQuery.indexOf('?')
  if (q < 0) return { path: pathAndQuery, query: '', authority }
  return { path: pathAndQuery.slice(0, q), query: pathAndQuery.slice(q + 1), authority }
}

/** Parses `req.url`; undefined for a target the proxy must refuse with 400. */
export function parseRequestTarget(url: string): RequestTarget | undefined {
  if (url.charCodeAt(0) === 47 /* / */) {
    if (url.includes('#')) return undefined
    return splitQuery(url, undefined)
  }
  const m = /^https?:\/\/([^/?#]+)([^#]*)$/i.exec(url)
  if (m === null) return undefined
  const authority = hostWithoutPort(m[1] ?? '')
  const rest = m[2] ?? ''
  return splitQuery(rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`, authority)
}

/** Lower-cases a Host value and strips the port (IPv6 literals keep their brackets). */
export function hostWithoutPort(host: string): string {
  let h = host
  const at = h.lastIndexOf('@')
  if (at >= 0) h = h.slice(at + 1)
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return (end < 0 ? h : h.slice(0, end + 1)).toLowerCase()
  }
  const colon = h.indexOf(':')
  return (colon < 0 ? h : h.slice(0, colon)).toLowerCase()
}
