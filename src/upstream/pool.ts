/**
 * One undici Pool per backend (decisions §5). Pools connect lazily, so creating one opens no
 * socket; `close()` lets in-flight requests finish.
 *
 * How Pingap's keys map onto undici:
 * - `idle_timeout` (default 60 s) → `keepAliveTimeout`, and `keepAliveMaxTimeout` so a
 *   server's `Keep-Alive: timeout=` hint can shorten it but never lengthen it.
 * - `basic.upstream_keepalive_pool_size` (default 128) → `connections`. Pingora caps *idle*
 *   connections; undici caps *all* connections to the backend, so request 129 in flight waits
 *   for a free connection instead of opening another one.
 * - `connection_timeout` / `total_connection_timeout` → `connect.timeout` (see poolSettings).
 * - `read_timeout` → `headersTimeout` (waiting for the response head) and `bodyTimeout` (gap
 *   between body chunks, which is exactly Pingora's per-read timeout). Unset keeps undici's
 *   300 s defaults.
 * - `write_timeout` has no undici equivalent (undici cannot time out a stalled request-body
 *   write); it stays in UpstreamOptions for the proxy to enforce while streaming the body.
 * - `tcp_idle` → TCP keep-alive initial delay; `tcp_interval`, `tcp_probe_count`,
 *   `tcp_user_timeout`, `tcp_recv_buf` and `tcp_fast_open` cannot be set from Node.
 * - `alpn = "h2"|"h2h1"` with TLS → `allowH2` (h2 when the server offers it), `max_h2_streams` →
 *   `maxConcurrentStreams`. Node cannot force h2 without ALPN, so `h2` behaves as `h2h1`.
 * - `alpn = "h2"` without TLS → prior-knowledge h2c (undici's `useH2c`).
 * - `alpn = "h2"`: up to `max_h2_streams` (default 1, as Pingora) requests share a connection
 *   (undici's `pipelining` counts h2 streams); `h2h1` keeps 1, since it may fall back to HTTP/1.1.
 */
import { maxHeaderSize } from 'node:http'
import { Pool } from '../core/undici-lite.ts'
import { H1Pool } from './h1/pool.ts'
import { nativeParser } from './h1/native-parser.ts'
import type { PoolSettings } from './options.ts'
import type { UpstreamDispatcher } from './types.ts'

/** undici's defaults, kept when `connection_timeout` / `read_timeout` are unset. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
const DEFAULT_READ_TIMEOUT_MS = 300_000

/** The origin URL undici connects to: `http://10.0.0.1:8080`, `https://[::1]:443`. */
export function originFor(address: string, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${address}`
}

/**
 * Creates the keep-alive pool of one backend; `servername` overrides the settings' SNI.
 * HTTP/1.1 backends (plain or TLS) get the native-parser client of upstream/h1; HTTP/2 and
 * h2c backends, or a Node without that parser, get an undici Pool.
 */
export function createPool(
  origin: string,
  settings: PoolSettings,
  servername?: string,
): UpstreamDispatcher {
  const sni = servername ?? settings.servername
  const parser = nativeParser
  if (parser !== undefined && !settings.allowH2 && !settings.h2c) {
    const url = new URL(origin)
    return new H1Pool({
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: Number(url.port !== '' ? url.port : settings.tls ? 443 : 80),
      authority: url.host,
      tls: settings.tls,
      servername: sni,
      rejectUnauthorized: settings.verifyCert,
      connections: settings.connections,
      keepAliveTimeoutMs: settings.keepAliveTimeoutMs,
      connectTimeoutMs: settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      readTimeoutMs: settings.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
      tcpKeepAliveDelayMs: settings.tcpKeepAliveDelayMs,
      family: settings.ipv4Only ? 4 : undefined,
      maxHeaderSize,
      parser,
    })
  }
  return undiciPool(origin, settings, sni)
}

function undiciPool(origin: string, settings: PoolSettings, sni: string | undefined): Pool {
  const connect: Record<string, unknown> = {}
  if (settings.connectTimeoutMs !== undefined) connect['timeout'] = settings.connectTimeoutMs
  if (settings.tcpKeepAliveDelayMs !== undefined) {
    connect['keepAlive'] = true
    connect['keepAliveInitialDelay'] = settings.tcpKeepAliveDelayMs
  }
  if (settings.ipv4Only) connect['family'] = 4
  // Read by undici's connector, which marks the plain socket as h2 (prior knowledge).
  if (settings.h2c) connect['useH2c'] = true
  if (settings.tls) {
    // Without one, undici sends the origin's host name as SNI (none for an IP literal).
    if (sni !== undefined) connect['servername'] = sni
    connect['rejectUnauthorized'] = settings.verifyCert
  }
  return new Pool(origin, {
    connections: settings.connections,
    pipelining: settings.h2Only ? (settings.maxH2Streams ?? 1) : 1,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    keepAliveMaxTimeout: settings.keepAliveTimeoutMs,
    ...(settings.readTimeoutMs !== undefined
      ? { headersTimeout: settings.readTimeoutMs, bodyTimeout: settings.readTimeoutMs }
      : {}),
    ...(settings.allowH2 ? { allowH2: true } : {}),
    ...(settings.h2c ? { allowH2: true } : {}),
    ...((settings.allowH2 || settings.h2c) && settings.maxH2Streams !== undefined
      ? { maxConcurrentStreams: settings.maxH2Streams }
      : {}),
    connect,
  })
}
