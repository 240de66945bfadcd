/**
 * The request-context values named by `{:key}` in the access log and `:key` in header values
 * (spec §6.2). Each key compiles once to a getter, so formatting a line does no key lookup.
 */
import type { RequestContext } from './context.ts'
import { humanLatency } from './format.ts'

/** Reads one context value; undefined when the request has no such value (yet). */
export type ContextGetter = (ctx: RequestContext) => string | undefined

/** Milliseconds as Pingap prints them: a whole number, truncated. */
function ms(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(Math.trunc(value))
}

function human(value: number | undefined): string | undefined {
  return value === undefined ? undefined : humanLatency(value)
}

function nonEmpty(value: string): string | undefined {
  return value === '' ? undefined : value
}

const serviceTime = (ctx: RequestContext): number => performance.now() - ctx.startTime

/**
 * Keys the RequestContext can answer. Spec §6.2 also names keys that need data pingap-ts does
 * not track yet; they are known (so `{:key}` prints `-`, not nothing) but always undefined:
 * `processing`, `upstream_connected` (server/upstream counters), `upstream_tcp_connect_time`,
 * `upstream_tls_handshake_time`, `upstream_connection_time`, `connection_time` (socket
 * timings), `tls_version`, `tls_cipher`, `tls_handshake_time` (TLS), `compression_time`,
 * `compression_ratio` (compression plugin), `cache_lookup_time`, `cache_lock_time` (cache plugin).
 */
const GETTERS: Readonly<Record<string, ContextGetter>> = {
  connection_id: (ctx) => String(ctx.connectionId),
  connection_reused: (ctx) => String(ctx.connectionReused),
  location: (ctx) => nonEmpty(ctx.location),
  upstream_addr: (ctx) => nonEmpty(ctx.upstreamAddr),
  upstream_reused: (ctx) =>
    ctx.upstreamReused === undefined ? undefined : String(ctx.upstreamReused),
  // Pingap prints `-` when no upstream answered.
  upstream_status: (ctx) => (ctx.upstreamStatus === undefined ? '-' : String(ctx.upstreamStatus)),
  upstream_connect_time: (ctx) => ms(ctx.upstreamTimings.connect),
  upstream_connect_time_human: (ctx) => human(ctx.upstreamTimings.connect),
  upstream_processing_time: (ctx) => ms(ctx.upstreamTimings.processing),
  upstream_processing_time_human: (ctx) => human(ctx.upstreamTimings.processing),
  upstream_response_time: (ctx) => ms(ctx.upstreamTimings.response),
  upstream_response_time_human: (ctx) => human(ctx.upstreamTimings.response),
  service_time: (ctx) => ms(serviceTime(ctx)),
  service_time_human: (ctx) => human(serviceTime(ctx)),
}

const UNTRACKED_KEYS = [
  'processing',
  'upstream_connected',
  'upstream_tcp_connect_time',
  'upstream_tls_handshake_time',
  'upstream_connection_time',
  'connection_time',
  'tls_version',
  'tls_cipher',
  'tls_handshake_time',
  'compression_time',
  'compression_ratio',
  'cache_lookup_time',
  'cache_lock_time',
]

const KNOWN_KEYS = new Set<string>([
  ...Object.keys(GETTERS),
  ...UNTRACKED_KEYS,
  ...UNTRACKED_KEYS.filter((key) => key.endsWith('_time')).map((key) => `${key}_human`),
])

const untracked: ContextGetter = () => undefined

/** True for every context key spec §6.2 names, tracked or not. */
export function isContextKey(key: string): boolean {
  return KNOWN_KEYS.has(key)
}

/** The getter for `key`; undefined for a key spec §6.2 does not name. */
export function contextGetter(key: string): ContextGetter | undefined {
  if (Object.hasOwn(GETTERS, key)) return GETTERS[key]
  return KNOWN_KEYS.has(key) ? untracked : undefined
}

/** One context value by key; undefined for unknown keys and for values not available. */
export function contextValue(ctx: RequestContext, key: string): string | undefined {
  return contextGetter(key)?.(ctx)
}
