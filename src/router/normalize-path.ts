/**
 * The one path normaliser (decisions §3): its output is matched, handed to plugins and
 * forwarded, so `//admin`, `/%61dmin` or `/a/../admin` cannot slip past a location that guards
 * `/admin` (reliability/hostile-catalogue.md §2.5, row G1).
 *
 * Rules, in order:
 * - the path must start with `/`; a NUL byte (raw or `%00`) or a malformed `%` escape → null;
 * - escapes of RFC 3986 *unreserved* characters are decoded (`%61` → `a`, `%2e` → `.`); every
 *   other escape is kept with upper-case hex (`%2f` → `%2F`), so an encoded `/` never becomes a
 *   separator and nothing is decoded twice;
 * - a backslash becomes `%5C`, so it can never act as a separator downstream;
 * - repeated slashes collapse, `.` segments vanish and `..` removes the previous segment
 *   (clamped at the root, as WHATWG URL does); a trailing slash is kept.
 * The result is idempotent: normalizePath(normalizePath(x)) === normalizePath(x).
 */

const SLASH = 0x2f
const DOT = 0x2e
const PERCENT = 0x25
const BACKSLASH = 0x5c
const NUL = 0

/** Normalises the path of a request target (no query); null when it must be rejected (400). */
export function normalizePath(rawPath: string): string | null {
  if (rawPath.charCodeAt(0) !== SLASH) return null
  if (isCanonical(rawPath)) return rawPath
  const decoded = decodeUnreserved(rawPath)
  return decoded === null ? null : resolveSegments(decoded)
}

/** One scan: true when nothing below could change the path (the common case). */
function isCanonical(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c === PERCENT || c === BACKSLASH || c === NUL) return false
    if (c === SLASH) {
      const next = path.charCodeAt(i + 1)
      if (next === SLASH || next === DOT) return false
    }
  }
  return true
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === DOT ||
    c === 0x5f || // _
    c === 0x7e // ~
  )
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  return -1
}

/** Decodes unreserved escapes, upper-cases the others, encodes `\`; null on NUL or a bad escape. */
function decodeUnreserved(path: string): string | null {
  let out = ''
  let start = 0
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i)
    if (c === NUL) return null
    if (c === BACKSLASH) {
      out += path.slice(start, i) + '%5C'
      start = i + 1
    } else if (c === PERCENT) {
      const hi = hexValue(path.charCodeAt(i + 1))
      const lo = hexValue(path.charCodeAt(i + 2))
      if (hi < 0 || lo < 0) return null
      const byte = hi * 16 + lo
      if (byte === NUL) return null
      out += path.slice(start, i)
      out += isUnreserved(byte)
        ? String.fromCharCode(byte)
        : '%' + path.slice(i + 1, i + 3).toUpperCase()
      i += 2
      start = i + 1
    }
  }
  return out + path.slice(start)
}

/** Collapses empty segments and resolves `.` and `..` (never above the root). */
function resolveSegments(path: string): string {
  const parts = path.split('/')
  const out: string[] = []
  for (let i = 1; i < parts.length; i++) {
    const segment = parts[i]!
    if (segment === '' || segment === '.') continue
    if (segment === '..') out.pop()
    else out.push(segment)
  }
  const last = parts[parts.length - 1]
  const trailingSlash = last === '' || last === '.' || last === '..'
  if (out.length === 0) return '/'
  return '/' + out.join('/') + (trailingSlash ? '/' : '')
}
