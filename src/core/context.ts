/**
 * The per-request state every stage shares: routing input, client identity, variables,
 * timings and what plugins decide. Created once per request by proxy/context.ts; plugins see a
 * request only through this object. Plugins may edit `headers`, `path` and `query`: the
 * forwarded request is built from them.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http'

/** Upstream-side timings in milliseconds, for the access log, Server-Timing and metrics. */
export interface UpstreamTimings {
  /** Time to obtain a connection (0 when a pooled one was reused). */
  connect?: number
  /** From sending the request to the response head. */
  processing?: number
  /** From sending the request to the end of the response body. */
  response?: number
}

/** The trace of one request (set only when its server exports OpenTelemetry traces). */
export interface RequestTrace {
  /** W3C trace id (32 hex digits) and the SERVER span's id (16), sent as X-Trace-Id/X-Span-Id. */
  readonly traceId: string
  readonly spanId: string
  /** Starts the CLIENT span of one upstream attempt and writes `traceparent` into `headers`. */
  upstreamStart(upstream: string, address: string, headers: Record<string, string | string[]>): void
  /** Ends the current attempt's CLIENT span; `error` when the attempt failed. */
  upstreamEnd(error?: unknown): void
}

export interface RequestContext {
  readonly req: IncomingMessage
  /** `performance.now()` when the request arrived. */
  readonly startTime: number
  /** `Date.now()` when the request arrived. */
  readonly startedAt: number
  readonly connectionId: number
  readonly connectionReused: boolean
  readonly serverName: string
  readonly method: string
  readonly scheme: 'http' | 'https'
  /** `HTTP/1.1` or `HTTP/2.0`. */
  readonly proto: string
  /** Request host, lower-cased, port stripped. */
  readonly host: string
  /** The normalised path; rewritten in place by `rewrite`. Matched and forwarded as is. */
  path: string
  /** Raw query string without `?` ('' when none). */
  query: string
  /** Request headers; edits are forwarded upstream. */
  readonly headers: IncomingHttpHeaders
  readonly remoteAddr: string
  readonly remotePort: number
  readonly serverAddr: string
  readonly serverPort: number
  /** Client IP after `basic.trusted_proxies` (spec §6.3, decisions §7). */
  readonly clientIp: string
  /**
   * The socket peer is in `basic.trusted_proxies`: only then are the forwarding headers it
   * sent (X-Forwarded-Host/-Proto/-Port, X-Real-IP, Forwarded) passed on to the upstream.
   */
  readonly peerTrusted: boolean
  /** Name of the matched location ('' when none matched). */
  location: string
  /** Named captures of host, path and rewrite regexes. */
  variables: Map<string, string> | undefined
  /** Upstream chosen by a plugin (traffic_splitting), else the location's. */
  upstreamOverride: string | undefined
  /** `ip:port` of the selected backend ('' before selection). */
  upstreamAddr: string
  upstreamStatus: number | undefined
  upstreamReused: boolean | undefined
  readonly upstreamTimings: UpstreamTimings
  requestId: string | undefined
  /**
   * [plugin name, ms] per plugin run, in order; undefined when nothing reports them (the
   * proxy sets a list when the server sends Server-Timing, and only then are plugins timed).
   */
  pluginTimings: Array<[string, number]> | undefined
  /** Request body bytes read. */
  payloadSize: number
  /** Response body bytes sent. */
  responseSize: number
  /** Final status sent (499 when the client went away first). */
  status: number
  /** Extra cache-key parts other plugins add (compression, image_optim). */
  cacheKeys: string[] | undefined
  /** Per-request state for plugins, keyed by plugin name. */
  state: Map<string, unknown> | undefined
  /** The response headers as sent (for `{<Header}` in the access log). */
  sentHeaders: OutgoingHttpHeaders | undefined
  /** Headers plugins want on the final response (e.g. x-request-id), added before sending. */
  responseHeaders: Array<[string, string]> | undefined
  /** OpenTelemetry spans of this request; undefined when tracing is off for its server. */
  trace?: RequestTrace | undefined
}

/** Reads the first `name=value` pair of a raw query string (no decoding, as Pingap). */
export function queryValue(query: string, name: string): string | undefined {
  if (query === '') return undefined
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? pair : pair.slice(0, eq)
    if (key === name) return eq < 0 ? '' : pair.slice(eq + 1)
  }
  return undefined
}

/** Reads one cookie from the `Cookie` header. */
export function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const header = headers.cookie
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** Reads one request header as a single string (several values joined with ", "). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()]
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : value
}
