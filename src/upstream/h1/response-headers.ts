/**
 * Turns the parser's flat `[name, value, name, value…]` list into the header object the proxy
 * relays (lower-case names; a repeated field becomes an array, as undici and Node present it),
 * and reads the backend's `Keep-Alive: timeout=N` hint.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { lowerHeaderName, newHeaderObject } from '../../core/header-name.ts'

/** The header object of a raw field list. */
export function toHeaderObject(raw: readonly string[]): IncomingHttpHeaders {
  const headers = newHeaderObject()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = lowerHeaderName(raw[i] as string)
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
