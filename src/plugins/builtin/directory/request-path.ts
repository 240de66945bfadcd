/**
 * Maps a normalised request path onto names under the directory root. The proxy has already
 * resolved dot segments (router/normalize-path.ts); what is left here is decoding each segment
 * once and refusing every segment that could still act as a separator, a parent or a NUL once
 * it reaches the filesystem (hostile-catalogue G2–G7).
 */

/** Why a path cannot be served. */
export type PathRefusal = 'not-found' | 'forbidden'

/** The decoded segments of a request path, or why it is refused. */
export type DecodedPath =
  | { readonly ok: true; readonly segments: readonly string[]; readonly trailingSlash: boolean }
  | { readonly ok: false; readonly reason: PathRefusal }

/** Dot-names that may be served: ACME's HTTP-01 webroot and friends live under `.well-known`. */
const ALLOWED_DOT_NAMES: ReadonlySet<string> = new Set(['.well-known'])

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment)
  } catch {
    return undefined // malformed UTF-8 such as `%c0%ae` (an overlong `.`)
  }
}

/** True when a decoded segment must never reach the filesystem. */
function unsafeSegment(name: string): boolean {
  if (name === '.' || name === '..') return true
  // Encoded `/` or `\` would become separators; NUL makes fs calls throw.
  return name.includes('/') || name.includes('\\') || name.includes('\0')
}

/**
 * Decodes `path` (normalised, no query). Dotfiles are hidden (`.env`, `.git`), except
 * `.well-known`; a segment that decodes to a separator, a dot segment or NUL is not found.
 */
export function decodeRequestPath(path: string): DecodedPath {
  const segments: string[] = []
  for (const raw of path.split('/')) {
    if (raw === '') continue
    const name = decodeSegment(raw)
    if (name === undefined || unsafeSegment(name)) return { ok: false, reason: 'not-found' }
    if (name.startsWith('.') && !ALLOWED_DOT_NAMES.has(name)) {
      return { ok: false, reason: 'not-found' }
    }
    segments.push(name)
  }
  return { ok: true, segments, trailingSlash: path.endsWith('/') }
}

/**
 * True when the raw request target climbs above `/` with `..` (also `%2e%2e`): the
 * normaliser clamps such paths at the root, but Pingap answers them 403, and so does
 * pingap-ts (spec §14 item 51).
 */
export function climbsAboveRoot(rawTarget: string): boolean {
  const q = rawTarget.indexOf('?')
  const path = q >= 0 ? rawTarget.slice(0, q) : rawTarget
  // Only `..` in some spelling (`..`, `.%2e`, `%2e.`, `%2e%2e`) climbs: a file extension does not.
  if (!path.includes('..') && !/%2e/i.test(path)) return false
  let depth = 0
  for (const raw of path.split(/[/\\]/)) {
    const segment = raw.replace(/%2e/gi, '.')
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      depth--
      if (depth < 0) return true
    } else {
      depth++
    }
  }
  return false
}

/** The raw path of a request target, safe to echo in a redirect (no scheme-relative `//`). */
export function redirectPath(rawTarget: string, fallback: string): string {
  const q = rawTarget.indexOf('?')
  const path = q >= 0 ? rawTarget.slice(0, q) : rawTarget
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) return fallback
  return path
}
