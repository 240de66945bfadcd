/** A response made by pingap-ts itself (plugins, errors), sent without touching the upstream. */
import type { OutgoingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'

export interface HttpResponse {
  readonly status: number
  readonly headers: OutgoingHttpHeaders
  readonly body: Buffer
  /** Seconds of freshness; sets `Cache-Control: private|public, max-age=N` (Pingap's rule). */
  readonly maxAge?: number
  /** With maxAge: `private` instead of `public`. */
  readonly private?: boolean
  /**
   * A streamed body (large files): when set, `body` is not sent and the proxy pipes the stream
   * with back-pressure. Called at most once, and not at all for HEAD or a client already gone,
   * so the factory (not the response) must own any open file.
   */
  readonly stream?: () => Readable
  /** Byte length of `stream`, sent as Content-Length; undefined sends the stream chunked. */
  readonly length?: number
  /**
   * True for a cache hit: sent through the `response` hooks and body filters like an upstream
   * response (spec §4.3), instead of as a plugin response.
   */
  readonly viaResponseHooks?: boolean
}

/** The `Cache-Control` Pingap gives a plugin response (`maxAge` and `private`, spec §4.4). */
export function cacheControlOf(response: Pick<HttpResponse, 'maxAge' | 'private'>): string {
  if (response.maxAge !== undefined && response.maxAge > 0) {
    return `${response.private === true ? 'private' : 'public'}, max-age=${response.maxAge}`
  }
  return 'private, no-cache'
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
export function jsonResponse(
  status: number,
  value: unknown,
  headers: OutgoingHttpHeaders = {},
): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: Buffer.from(JSON.stringify(value)),
  }
}
