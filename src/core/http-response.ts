/** A response made by pingap-ts itself (plugins, errors), sent without touching the upstream. */
import type { OutgoingHttpHeaders } from 'node:http'

export interface HttpResponse {
  readonly status: number
  readonly headers: OutgoingHttpHeaders
  readonly body: Buffer
  /** Seconds of freshness; sets `Cache-Control: private|public, max-age=N` (Pingap's rule). */
  readonly maxAge?: number
  /** With maxAge: `private` instead of `public`. */
  readonly private?: boolean
}

/** A text response; `contentType` defaults to none, as Pingap's plugin responses have none. */
export function textResponse(
  status: number,
  text: string,
  headers: OutgoingHttpHeaders = {},
): HttpResponse {
  return { status, headers, body: Buffer.from(text) }
}

/** A JSON response with `application/json; charset=utf-8`. */
export function jsonResponse(status: number, value: unknown, headers: OutgoingHttpHeaders = {}): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: Buffer.from(JSON.stringify(value)),
  }
}
