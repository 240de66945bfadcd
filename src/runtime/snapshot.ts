/**
 * The immutable runtime snapshot: everything a request needs, built from one validated config
 * by build.ts and never mutated afterwards (counters objects excepted, which are shared on
 * purpose so they survive reloads). The proxy reads `runtime.current` once per request.
 */
import type { BlockList } from 'node:net'
import type { RequestContext } from '../core/context.ts'
import type { PingapConfig, ServerConf } from '../config/types.ts'
import type { LocationChains, Plugin } from '../plugins/types.ts'
import type { LocationMatcher, ServerRouter } from '../router/types.ts'
import type { ServerTlsSettings, SniStore } from '../tls/index.ts'
import type { Upstream } from '../upstream/types.ts'

/** Live counters of a location; the same object is kept while the location is unchanged. */
export interface LocationCounters {
  processing: number
  accepted: number
}

/** One compiled header rule for the upstream request. */
export interface HeaderRule {
  readonly name: string
  readonly value: (ctx: RequestContext) => string
}

/** The request-header edits of a location, applied in Pingap's order (spec §2.7). */
export interface HeaderRules {
  readonly reverseProxy: boolean
  readonly set: readonly HeaderRule[]
  readonly add: readonly HeaderRule[]
}

export interface LocationRuntime {
  readonly name: string
  readonly hash: string
  readonly matcher: LocationMatcher
  /** Upstream name, `$variable`, or '' (only plugins can answer then). */
  readonly upstream: string
  readonly chains: LocationChains
  readonly headerRules: HeaderRules | null
  /** 0 = unlimited. */
  readonly maxBodyBytes: number
  /** 0 = unlimited. */
  readonly maxProcessing: number
  readonly maxRetries: number
  /** `grpc_web = true`: bridge gRPC-Web requests to gRPC (the server needs the module). */
  readonly grpcWeb: boolean
  readonly retryWindowMs: number | undefined
  readonly counters: LocationCounters
}

/** Server-level limits (decisions §2; hostile-catalogue), in ms and bytes. */
export interface ServerLimits {
  readonly headerReadTimeoutMs: number
  readonly bodyReadTimeoutMs: number
  readonly keepAliveTimeoutMs: number
  /** A client that accepts no response bytes for this long is cut off (slow readers). */
  readonly writeIdleTimeoutMs: number
  readonly maxUrlLength: number
  readonly maxHeaderSize: number
  readonly maxHeaderCount: number
  readonly maxConnections: number
}

export interface ServerRuntime {
  readonly name: string
  readonly conf: ServerConf
  /** Listen addresses, e.g. ["127.0.0.1:6188", "[::1]:6188"]. */
  readonly addrs: readonly string[]
  readonly router: ServerRouter
  readonly locations: ReadonlyMap<string, LocationRuntime>
  readonly serverTiming: boolean
  readonly accessLog: string | undefined
  readonly limits: ServerLimits
  /** Set when `global_certificates = true`: the listener speaks TLS. */
  readonly tls: ServerTlsSettings | undefined
}

export interface Snapshot {
  readonly version: number
  readonly config: PingapConfig
  readonly servers: ReadonlyMap<string, ServerRuntime>
  readonly upstreams: ReadonlyMap<string, Upstream>
  /** Build key of each upstream: equal keys mean the Upstream object was reused. */
  readonly upstreamKeys: ReadonlyMap<string, string>
  readonly plugins: ReadonlyMap<string, Plugin>
  readonly trustedProxies: BlockList | undefined
  readonly errorTemplate: string
  readonly graceMs: number
  readonly shutdownTimeoutMs: number
  /** The SNI certificate store every TLS listener reads on each handshake. */
  readonly tls: SniStore
}
