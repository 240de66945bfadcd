/**
 * Reads an upstream's `health_check` URL (spec §3.4); the only code that does. The scheme picks
 * the probe, query parameters tune it, and any other parameter is kept on the HTTP check path.
 */
import { parseDuration } from '../../core/duration.ts'
import { ConfigError } from '../../core/errors.ts'

/** A parsed `health_check`, timeouts in milliseconds. */
export interface HealthCheckConf {
  readonly kind: 'tcp' | 'http' | 'grpc'
  readonly connectTimeoutMs: number
  readonly readTimeoutMs: number
  /** Time between two runs; values under Pingap's 10 s tick are honoured as written. */
  readonly intervalMs: number
  /** Consecutive successes to become healthy. */
  readonly success: number
  /** Consecutive failures to become unhealthy. */
  readonly failure: number
  /** Keep the probe connection open between checks. */
  readonly reuse: boolean
  /** Probe all backends at once instead of one after the other. */
  readonly parallel: boolean
  /** `https://`, or `grpc://…?tls`: TLS without certificate verification. */
  readonly tls: boolean
  /** gRPC service name (`service=`; empty = the server as a whole). */
  readonly service: string
  /** HTTP: the `Host` header (the URL's host, with its port when one is given). */
  readonly host: string
  /** HTTP: the request target, path plus the parameters not consumed here. */
  readonly path: string
}

const DEFAULTS = {
  connectTimeoutMs: 3000,
  readTimeoutMs: 3000,
  intervalMs: 10_000,
  success: 1,
  failure: 2,
} as const

// No `health_check`: a TCP connect check with Pingora's own thresholds (1 and 1), spec §3.4.
const EMPTY: HealthCheckConf = {
  ...DEFAULTS,
  kind: 'tcp',
  failure: 1,
  reuse: false,
  parallel: false,
  tls: false,
  service: '',
  host: '',
  path: '/',
}

const CONSUMED = new Set([
  'connection_timeout',
  'read_timeout',
  'check_frequency',
  'success',
  'failure',
  'reuse',
  'tls',
  'service',
  'parallel',
])

type Params = ReadonlyMap<string, string>

function fail(path: string, why: string): ConfigError {
  return new ConfigError('PGT_ERR_CONFIG_INVALID', path, [why])
}

function durationParam(params: Params, key: string, fallback: number, path: string): number {
  const value = params.get(key)
  if (value === undefined) return fallback
  const ms = parseDuration(value)
  if (ms === undefined || ms <= 0) throw fail(path, `${key}="${value}" is not a positive duration`)
  return ms
}

function countParam(params: Params, key: string, fallback: number, path: string): number {
  const value = params.get(key)
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw fail(path, `${key}="${value}" must be a positive integer`)
  }
  return Number(value)
}

function flagParam(params: Params, key: string): boolean {
  const value = params.get(key)
  if (value === undefined) return false
  return !['false', '0', 'no', 'off'].includes(value.toLowerCase())
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}

/** Splits the raw query, keeping the unconsumed pairs byte for byte for the check path. */
function splitQuery(search: string): { params: Map<string, string>; rest: string[] } {
  const params = new Map<string, string>()
  const rest: string[] = []
  for (const pair of search.replace(/^\?/, '').split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    const key = decode(eq < 0 ? pair : pair.slice(0, eq))
    if (CONSUMED.has(key)) params.set(key, eq < 0 ? '' : decode(pair.slice(eq + 1)))
    else rest.push(pair)
  }
  return { params, rest }
}

/**
 * Parses `health_check` (undefined or empty = TCP connect check). `path` is the dotted TOML
 * path of the key, used in errors.
 */
export function parseHealthCheck(text: string | undefined, path = 'health_check'): HealthCheckConf {
  if (text === undefined || text.trim() === '') return EMPTY
  let url: URL
  try {
    url = new URL(text.trim())
  } catch {
    throw fail(path, `"${text}" is not a URL (e.g. "http://host/ping" or "tcp://host")`)
  }
  const scheme = url.protocol.slice(0, -1)
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https' && scheme !== 'grpc') {
    throw fail(path, `unsupported scheme "${scheme}" (expected tcp, http, https or grpc)`)
  }
  const { params, rest } = splitQuery(url.search)
  const pathname = url.pathname === '' ? '/' : url.pathname
  return {
    kind: scheme === 'tcp' ? 'tcp' : scheme === 'grpc' ? 'grpc' : 'http',
    connectTimeoutMs: durationParam(params, 'connection_timeout', DEFAULTS.connectTimeoutMs, path),
    readTimeoutMs: durationParam(params, 'read_timeout', DEFAULTS.readTimeoutMs, path),
    intervalMs: durationParam(params, 'check_frequency', DEFAULTS.intervalMs, path),
    success: countParam(params, 'success', DEFAULTS.success, path),
    failure: countParam(params, 'failure', DEFAULTS.failure, path),
    reuse: flagParam(params, 'reuse'),
    parallel: flagParam(params, 'parallel'),
    // The `tls` flag is gRPC's (consumed, ignored for HTTP); HTTP picks TLS by its scheme.
    tls: scheme === 'https' || (scheme === 'grpc' && flagParam(params, 'tls')),
    service: params.get('service') ?? '',
    host: url.host,
    path: rest.length === 0 ? pathname : `${pathname}?${rest.join('&')}`,
  }
}
