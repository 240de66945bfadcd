/**
 * Turns the timeout and TLS keys of `[upstreams.<name>]` into milliseconds and flags, once, at
 * snapshot build time.
 */
import type { BasicConf, UpstreamConf } from '../config/types.ts'
import { parseDuration } from '../core/duration.ts'
import { ConfigError } from '../core/errors.ts'
import type { UpstreamOptions } from './types.ts'

/** Pingap's default pool idle timeout (spec §1.8). */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
/** Pingap's default `basic.upstream_keepalive_pool_size` (spec §1.5). */
export const DEFAULT_POOL_SIZE = 128

/** Parses an optional duration key; undefined when unset, ConfigError when malformed. */
export function durationKey(value: string | undefined, path: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const ms = parseDuration(value)
  if (ms === undefined) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [`invalid duration "${value}"`])
  }
  return ms
}

/** The per-request forwarding settings of one upstream, timeouts in milliseconds. */
export function upstreamOptions(conf: UpstreamConf, name = ''): UpstreamOptions {
  const at = (key: string): string => (name === '' ? key : `upstreams.${name}.${key}`)
  const sni = conf.sni !== undefined && conf.sni !== '' ? conf.sni : undefined
  return {
    connectTimeoutMs: durationKey(conf.connection_timeout, at('connection_timeout')),
    readTimeoutMs: durationKey(conf.read_timeout, at('read_timeout')),
    writeTimeoutMs: durationKey(conf.write_timeout, at('write_timeout')),
    idleTimeoutMs: durationKey(conf.idle_timeout, at('idle_timeout')) ?? DEFAULT_IDLE_TIMEOUT_MS,
    tls: sni !== undefined,
    sni,
    verifyCert: conf.verify_cert ?? true,
  }
}

/** What createPool needs beyond the origin; built once per upstream. */
export interface PoolSettings {
  readonly connections: number
  readonly keepAliveTimeoutMs: number
  /** undici's connect timeout, which runs until the TLS handshake ends (see pool.ts). */
  readonly connectTimeoutMs: number | undefined
  readonly readTimeoutMs: number | undefined
  readonly tls: boolean
  /** SNI to send; undefined sends none (an IP literal or `$host` outside transparent mode). */
  readonly servername: string | undefined
  readonly verifyCert: boolean
  /** `alpn = "h2"` / `"h2h1"`: offer h2 in the TLS handshake. */
  readonly allowH2: boolean
  /** `alpn = "h2"` without TLS: prior-knowledge HTTP/2 cleartext (h2c). */
  readonly h2c: boolean
  /** `alpn = "h2"`: only HTTP/2 is spoken, so streams may share a connection. */
  readonly h2Only: boolean
  readonly maxH2Streams: number | undefined
  /** `tcp_idle`: TCP keep-alive probes after this much idle time. */
  readonly tcpKeepAliveDelayMs: number | undefined
  /** `ipv4_only`: when undici resolves a host name itself, ask for IPv4 only. */
  readonly ipv4Only: boolean
}

/**
 * Pool settings for one upstream. undici has a single connect timer that stops when the socket
 * is usable (after TLS), so it is closest to `total_connection_timeout`; `connection_timeout`
 * (TCP only) is the bound when only it is set, and the smaller of the two applies without TLS.
 */
export function poolSettings(
  conf: UpstreamConf,
  basic: BasicConf,
  options: UpstreamOptions,
  name: string,
): PoolSettings {
  const total = durationKey(
    conf.total_connection_timeout,
    `upstreams.${name}.total_connection_timeout`,
  )
  const tcp = options.connectTimeoutMs
  let connectTimeoutMs = options.tls ? (total ?? tcp) : minDefined(total, tcp)
  if (connectTimeoutMs === 0) connectTimeoutMs = undefined
  const alpn = (conf.alpn ?? 'h1').toLowerCase()
  const poolSize = basic.upstream_keepalive_pool_size
  return {
    connections: poolSize !== undefined && poolSize > 0 ? poolSize : DEFAULT_POOL_SIZE,
    keepAliveTimeoutMs: options.idleTimeoutMs,
    connectTimeoutMs,
    readTimeoutMs: options.readTimeoutMs,
    tls: options.tls,
    servername: options.sni === '$host' ? undefined : options.sni,
    verifyCert: options.verifyCert,
    allowH2: options.tls && (alpn === 'h2' || alpn === 'h2h1'),
    h2c: !options.tls && alpn === 'h2',
    h2Only: alpn === 'h2',
    maxH2Streams: conf.max_h2_streams,
    tcpKeepAliveDelayMs: durationKey(conf.tcp_idle, `upstreams.${name}.tcp_idle`),
    ipv4Only: conf.ipv4_only ?? false,
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Math.min(a, b)
}
