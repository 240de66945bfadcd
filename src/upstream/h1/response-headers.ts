/**
 * Turns the parser's flat `[name, value, name, value…]` list into the header object the proxy
 * relays (lower-case names; a repeated field becomes an array, as undici and Node present it),
 * and reads the backend's `Keep-Alive: timeout=N` hint.
 */
import type { IncomingHttpHeaders } from 'node:http'

/**
 * Lower-case forms of the field names seen so far. Backends send the same few dozen names in
 * every response; reusing one string per name saves an allocation per field and gives every
 * header object the same keys, which keeps property access on V8's fast path.
 */
const LOWER = new Map<string, string>()
const LOWER_LIMIT = 512

function lowerName(name: string): string {
  const known = LOWER.get(name)
  if (known !== undefined) return known
  const lower = name.toLowerCase()
  if (LOWER.size < LOWER_LIMIT) LOWER.set(name, lower)
  return lower
}

/** The header object of a raw field list. */
export function toHeaderObject(raw: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = lowerName(raw[i] as string)
    const value = raw[i + 1] as string
    const existing = headers[name]
    if (existing === undefined) headers[name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else headers[name] = [existing, value]
  }
  return headers
}

const TIMEOUT = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i

/** The idle time a backend's `Keep-Alive` header announces (`timeout=N`), in ms; 0 when none. */
export function keepAliveHintMs(value: string | string[] | undefined): number {
  if (value === undefined) return 0
  const match = TIMEOUT.exec(Array.isArray(value) ? value.join(',') : value)
  return match === null ? 0 : Number(match[1]) * 1000
}
