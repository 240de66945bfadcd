/** Contracts of upstreams: backends, load-balancing selectors, health checkers. */
import type { Dispatcher } from 'undici'
import type { RequestContext } from '../core/context.ts'

/** One backend address of an upstream, with its connection pool and health flag. */
export interface Backend {
  /** `ip:port` (IPv6 as `[::1]:80`). */
  readonly address: string
  readonly host: string
  readonly port: number
  readonly weight: number
  /** Set by the health monitor (this process) or the primary over IPC. */
  healthy: boolean
  /** The keep-alive pool used to forward to this backend (see upstream/pool.ts). */
  readonly pool: UpstreamDispatcher
}

/**
 * What forwarding needs of a backend's pool: the part of undici's Dispatcher that both the
 * HTTP/1.1 client (upstream/h1) and undici's Pool (HTTP/2, h2c) provide.
 */
export interface UpstreamDispatcher {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean
  close(): Promise<void>
  destroy(): Promise<void>
}

/** A load-balancing algorithm: `round_robin`, `hash:ip`, ... */
export interface Selector {
  readonly algorithm: string
  /**
   * Picks among healthy backends not in `exclude`; undefined when none is usable. Considers
   * every backend (decisions §3).
   */
  select(
    backends: readonly Backend[],
    ctx: RequestContext,
    exclude?: ReadonlySet<Backend>,
  ): Backend | undefined
}

/** One probe against one backend. Resolves when healthy, rejects with the reason otherwise. */
export interface HealthChecker {
  readonly kind: 'tcp' | 'http' | 'grpc'
  check(backend: { host: string; port: number }, signal: AbortSignal): Promise<void>
}

/** Per-request forwarding settings derived from `[upstreams.<name>]`, in milliseconds. */
export interface UpstreamOptions {
  readonly connectTimeoutMs: number | undefined
  readonly readTimeoutMs: number | undefined
  readonly writeTimeoutMs: number | undefined
  readonly idleTimeoutMs: number
  /** TLS towards the backend (a non-empty `sni`). */
  readonly tls: boolean
  readonly sni: string | undefined
  readonly verifyCert: boolean
}

/** A compiled `[upstreams.<name>]`: backends, selector, pools, health state. */
export interface Upstream {
  readonly name: string
  readonly hash: string
  readonly options: UpstreamOptions
  /** `discovery = "transparent"`: the backend is the request host (see backendFor). */
  readonly transparent: boolean
  /** Current backends (DNS discovery may replace the list). */
  readonly backends: readonly Backend[]
  /** Picks a healthy backend among all of them; undefined when none (→ 503). */
  pick(ctx: RequestContext, exclude?: ReadonlySet<Backend>): Backend | undefined
  /** For transparent upstreams: the backend for a request host (pool cached per host). */
  backendFor(host: string): Backend
  /** Applies a health verdict (from the monitor in this process, or the primary over IPC). */
  setHealthy(address: string, healthy: boolean): void
  /**
   * Reports one attempt's outcome to the backend's stats and circuit breaker: the response
   * status, or 0 when no response came (connect failure, timeout, reset). Optional: upstreams
   * without breakers may omit it.
   */
  report?(backend: Backend, status: number): void
  /** Circuit-breaker state and window stats per backend address (for metrics and status). */
  backendStats?(): BackendStatsView[]
  /** Starts discovery timers (DNS). Never called by the pure snapshot build. */
  start(): void
  /** Stops timers and closes pools once in-flight requests finish. */
  close(): Promise<void>
}

/** One backend's circuit-breaker state and sliding-window statistics. */
export interface BackendStatsView {
  readonly address: string
  /** 0 closed, 1 open, 2 half-open (Pingap's codes). */
  readonly state: 0 | 1 | 2
  readonly failurePercent: number
  readonly requests: number
}

/** Runs the health checks of one upstream and reports each flip. */
export interface HealthMonitor {
  stop(): void
}
