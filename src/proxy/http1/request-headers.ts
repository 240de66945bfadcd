/**
 * The header object of a request, built from the parser's flat `[name, value, …]` list with the
 * rules node:http applies (so every part of the proxy sees the same object whichever server
 * parsed the request): lower-case names; `set-cookie` always an array; repeated `cookie` joined
 * with `; `; a repeated field from the list below keeps its first value (a second
 * `Content-Type` or `Authorization` means nothing good); any other repeated field is joined
 * with `, ` (RFC 9110 §5.3).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { lowerHeaderName, newHeaderObject } from '../../core/header-name.ts'

const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
])

function addRepeated(
  headers: Record<string, string | string[]>,
  name: string,
  existing: string | string[],
  value: string,
): void {
  if (Array.isArray(existing)) existing.push(value)
  else if (name === 'cookie') headers[name] = `${existing}; ${value}`
  else if (!FIRST_WINS.has(name)) headers[name] = `${existing}, ${value}`
}

/** The header object of a raw field list (see the file comment for repeated fields). */
export function requestHeaderObject(raw: readonly string[]): IncomingHttpHeaders {
  const headers = newHeaderObject()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = lowerHeaderName(raw[i] as string)
    const value = raw[i + 1] as string
    const existing = headers[name]
    if (existing !== undefined) addRepeated(headers, name, existing, value)
    else headers[name] = name === 'set-cookie' ? [value] : value
  }
  return headers
}
