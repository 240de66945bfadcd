/**
 * Splits a request target into path, query and (for absolute-form targets) authority
 * (RFC 9112 §3.2). Origin-form is the fast path; `*`, authority-form, fragments and absolute
 * targets with userinfo or an invalid authority are refused (hostile-catalogue B4, B5, B7).
 */

export interface RequestTarget {
  /** Raw path, not yet normalised. */
  readonly path: string
  /** Raw query without `?`. */
  readonly query: string
  /** Host of an absolute-form target (`http://b.test/x`), lower-cased, port stripped. */
  readonly authority: string | undefined
  /** The absolute-form authority as sent (`b.test:8080`), to become the upstream `Host`. */
  readonly hostHeader: string | undefined
}

function splitQuery(
  pathAndQuery: string,
  authority: string | undefined,
  hostHeader: string | undefined,
): RequestTarget {
  const q = pathAndQuery.indexOf('?')
  if (q < 0) return { path: pathAndQuery, query: '', authority, hostHeader }
  return {
    path: pathAndQuery.slice(0, q),
    query: pathAndQuery.slice(q + 1),
    authority,
    hostHeader,
  }
}

/** `host[:port]` with no userinfo; the host a DNS name, IPv4 or bracketed IPv6 literal. */
const AUTHORITY = /^(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\[[0-9A-Fa-f:.]+\])(?::\d{0,5})?$/
const ABSOLUTE = /^https?:\/\/([^/?#]*)([^#]*)$/i

/** Parses `req.url`; undefined for a target the proxy must refuse with 400. */
export function parseRequestTarget(url: string): RequestTarget | undefined {
  if (url.charCodeAt(0) === 47 /* / */) {
    if (url.includes('#')) return undefined
    return splitQuery(url, undefined, undefined)
  }
  const m = ABSOLUTE.exec(url)
  if (m === null) return undefined
  const raw = m[1] ?? ''
  if (!AUTHORITY.test(raw)) return undefined
  const rest = m[2] ?? ''
  const path = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`
  return splitQuery(path, hostWithoutPort(raw), raw)
}

/**
 * Lower-cases a Host value and strips the port and one trailing dot (`A.test.:80` → `a.test`);
 * IPv6 literals keep their brackets.
 */
export function hostWithoutPort(host: string): string {
  let h = host
  const at = h.lastIndexOf('@')
  if (at >= 0) h = h.slice(at + 1)
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    return (end < 0 ? h : h.slice(0, end + 1)).toLowerCase()
  }
  const colon = h.indexOf(':')
  if (colon >= 0) h = h.slice(0, colon)
  if (h.endsWith('.')) h = h.slice(0, -1)
  return h.toLowerCase()
}
