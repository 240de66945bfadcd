/**
 * buildSnapshot(): a pure function of (config, previous snapshot). It compiles locations and
 * routers, creates plugin instances and upstreams, and reuses every part whose hash did not
 * change, so pools, health flags and counters survive a reload. It starts no timer and opens no
 * socket: a build that throws leaves nothing to clean up, and `-t` runs the same build.
 */
import { parseByteSize, parseDuration } from '../core/duration.ts'
import { ConfigError, ConfigErrors } from '../core/errors.ts'
import { hashConfig } from '../core/hash.ts'
import { SERVER_DEFAULTS } from '../config/defaults.ts'
import type {
  LocationConf,
  PingapConfig,
  RawTable,
  ServerConf,
  SourceMap,
} from '../config/types.ts'
import { buildChains } from '../plugins/chains.ts'
import type { PluginRegistry } from '../plugins/registry.ts'
import type { Plugin } from '../plugins/types.ts'
import { compileLocation, createRouter } from '../router/index.ts'
import type { LocationMatcher, ServerRouter } from '../router/types.ts'
import {
  buildSniStore,
  CHALLENGE_SERVER_NAME,
  implicitChallengeServer,
  serverTlsSettings,
} from '../tls/index.ts'
import { createUpstream } from '../upstream/index.ts'
import type { Upstream } from '../upstream/types.ts'
import { buildTrustedProxies } from './client-ip.ts'
import { DEFAULT_ERROR_TEMPLATE } from './error-template.ts'
import { sameJson } from '../core/same-json.ts'
import { buildHeaderRules } from './header-rules.ts'
import type { LocationRuntime, ServerLimits, ServerRuntime, Snapshot } from './snapshot.ts'

export interface BuildDeps {
  readonly registry: PluginRegistry
  /** Always-present plugin instances (`pingap:ping` …) as raw tables, merged under the config's. */
  readonly builtinPlugins: Readonly<Record<string, RawTable>>
  readonly sources?: SourceMap
  /**
   * Checks a server's data-plane settings that live outside the runtime layer (the access-log
   * format); throws ConfigError. Lets `-t` and reloads reject them before any swap.
   */
  readonly checkServer?: (name: string, conf: ServerConf) => void
}

/** Safe defaults close to nginx's (docs/configuration.md, "Server limits"), as numbers. */
const DEFAULT_LIMITS: ServerLimits = {
  headerReadTimeoutMs: parseDuration(SERVER_DEFAULTS.header_read_timeout) ?? 0,
  bodyReadTimeoutMs: parseDuration(SERVER_DEFAULTS.body_read_timeout) ?? 0,
  keepAliveTimeoutMs: parseDuration(SERVER_DEFAULTS.keepalive_timeout) ?? 0,
  writeIdleTimeoutMs: parseDuration(SERVER_DEFAULTS.downstream_write_timeout) ?? 0,
  maxUrlLength: parseByteSize(SERVER_DEFAULTS.max_url_length) ?? 0,
  maxHeaderSize: parseByteSize(SERVER_DEFAULTS.max_header_size) ?? 0,
  maxHeaderCount: SERVER_DEFAULTS.max_header_count,
  maxConnections: SERVER_DEFAULTS.max_connections,
}

function ms(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  return parseDuration(value) ?? fallback
}

function serverLimits(conf: ServerConf): ServerLimits {
  return {
    headerReadTimeoutMs: ms(conf.header_read_timeout, DEFAULT_LIMITS.headerReadTimeoutMs),
    bodyReadTimeoutMs: ms(
      conf.body_read_timeout ?? conf.downstream_read_timeout,
      DEFAULT_LIMITS.bodyReadTimeoutMs,
    ),
    keepAliveTimeoutMs: ms(conf.keepalive_timeout, DEFAULT_LIMITS.keepAliveTimeoutMs),
    writeIdleTimeoutMs: ms(conf.downstream_write_timeout, DEFAULT_LIMITS.writeIdleTimeoutMs),
    maxUrlLength:
      conf.max_url_length !== undefined
        ? (parseByteSize(conf.max_url_length) ?? DEFAULT_LIMITS.maxUrlLength)
        : DEFAULT_LIMITS.maxUrlLength,
    maxHeaderSize:
      conf.max_header_size !== undefined
        ? (parseByteSize(conf.max_header_size) ?? DEFAULT_LIMITS.maxHeaderSize)
        : DEFAULT_LIMITS.maxHeaderSize,
    maxHeaderCount: conf.max_header_count ?? DEFAULT_LIMITS.maxHeaderCount,
    maxConnections: conf.max_connections ?? DEFAULT_LIMITS.maxConnections,
  }
}

function buildPlugins(
  config: PingapConfig,
  previous: Snapshot | undefined,
  deps: BuildDeps,
): Map<string, Plugin> {
  const plugins = new Map<string, Plugin>()
  const tables: Record<string, RawTable> = { ...deps.builtinPlugins }
  for (const [name, conf] of Object.entries(config.plugins)) tables[name] = { ...conf }
  for (const [name, raw] of Object.entries(tables)) {
    plugins.set(name, deps.registry.create(name, raw, previous?.plugins.get(name)))
  }
  return plugins
}

function upstreamKey(name: string, config: PingapConfig): string {
  const conf = config.upstreams[name]
  return hashConfig({ conf, pool: config.basic.upstream_keepalive_pool_size })
}

function buildUpstreams(
  config: PingapConfig,
  previous: Snapshot | undefined,
): { upstreams: Map<string, Upstream>; keys: Map<string, string> } {
  const upstreams = new Map<string, Upstream>()
  const keys = new Map<string, string>()
  for (const [name, conf] of Object.entries(config.upstreams)) {
    const key = upstreamKey(name, config)
    const old = previous?.upstreams.get(name)
    const reuse = old !== undefined && previous?.upstreamKeys.get(name) === key
    upstreams.set(name, reuse ? old : createUpstream(name, conf, config.basic, old))
    keys.set(name, key)
  }
  return { upstreams, keys }
}

function buildLocation(
  name: string,
  config: PingapConfig,
  plugins: ReadonlyMap<string, Plugin>,
  previous: Snapshot | undefined,
  previousLocations: ReadonlyMap<string, LocationRuntime>,
): LocationRuntime {
  const conf = config.locations[name]
  if (conf === undefined)
    throw new ConfigError('PGT_ERR_CONFIG_REF', `locations`, ['location', name])
  const path = `locations.${name}`
  const old = previousLocations.get(name)
  if (old !== undefined && reusable(old, conf, plugins, previous)) return old
  // A change that leaves routing alone (headers, upstream, plugins…) keeps the matcher, so the
  // server's router can be kept too (buildServer).
  const matcher: LocationMatcher =
    old !== undefined && sameRouting(old.matcher.conf, conf)
      ? old.matcher
      : compileLocation(name, conf)
  const maxBody = conf.client_max_body_size
  const location: LocationRuntime = {
    name,
    hash: matcher.hash,
    matcher,
    upstream: conf.upstream ?? '',
    chains: buildChains(conf.plugins ?? [], plugins, `${path}.plugins`),
    headerRules: buildHeaderRules(conf, path),
    maxBodyBytes: maxBody !== undefined ? (parseByteSize(maxBody) ?? 0) : 0,
    maxProcessing: conf.max_processing ?? 0,
    maxRetries: conf.max_retries ?? 0,
    grpcWeb: conf.grpc_web === true,
    retryWindowMs:
      conf.max_retry_window !== undefined ? parseDuration(conf.max_retry_window) : undefined,
    // Counters survive a reload that leaves the location's routing unchanged, so
    // max_processing holds across it.
    counters: old?.hash === matcher.hash ? old.counters : { processing: 0, accepted: 0 },
  }
  builtFrom.set(location, conf)
  return location
}

/** The conf each location was built from (its matcher may keep an older, routing-equal one). */
const builtFrom = new WeakMap<LocationRuntime, LocationConf>()

/** The keys compileLocation reads: equal values give an equal matcher. */
const ROUTING_KEYS = [
  'host',
  'path',
  'weight',
  'match_headers',
  'match_query',
  'match_cookies',
  'rewrite',
] as const

function sameRouting(a: LocationConf, b: LocationConf): boolean {
  for (const key of ROUTING_KEYS) if (!sameJson(a[key], b[key])) return false
  return true
}

/**
 * An unchanged location (same conf data, same plugin objects) is reused whole, so a reload of
 * 10,000 locations compiles only the changed ones (bench/scale.ts).
 */
function reusable(
  old: LocationRuntime,
  conf: LocationConf,
  plugins: ReadonlyMap<string, Plugin>,
  previous: Snapshot | undefined,
): boolean {
  const before = builtFrom.get(old)
  if (before === undefined || !sameJson(before, conf)) return false
  for (const name of conf.plugins ?? []) {
    if (plugins.get(name) !== previous?.plugins.get(name)) return false
  }
  return true
}

/** The locations of `previous` by name (those of its servers; the first server wins). */
function locationsOf(previous: Snapshot | undefined): Map<string, LocationRuntime> {
  const out = new Map<string, LocationRuntime>()
  for (const server of previous?.servers.values() ?? []) {
    for (const [name, location] of server.locations) if (!out.has(name)) out.set(name, location)
  }
  return out
}

/** The matchers each router was built from, in order. */
const routerInputs = new WeakMap<ServerRouter, readonly LocationMatcher[]>()

/** The previous router when it was built from the very same matchers, else a new one. */
function routerFor(matchers: readonly LocationMatcher[], previous: ServerRouter | undefined) {
  const before = previous === undefined ? undefined : routerInputs.get(previous)
  if (
    previous !== undefined &&
    before !== undefined &&
    before.length === matchers.length &&
    before.every((m, i) => m === matchers[i])
  ) {
    return previous
  }
  const router = createRouter(matchers)
  routerInputs.set(router, matchers)
  return router
}

function buildServer(
  name: string,
  conf: ServerConf,
  locations: ReadonlyMap<string, LocationRuntime>,
  previous?: Snapshot,
): ServerRuntime {
  const own = new Map<string, LocationRuntime>()
  for (const locationName of conf.locations ?? []) {
    const location = locations.get(locationName)
    if (location === undefined) {
      throw new ConfigError('PGT_ERR_CONFIG_REF', `servers.${name}.locations`, [
        'location',
        locationName,
      ])
    }
    own.set(locationName, location)
  }
  return {
    name,
    conf,
    addrs: conf.addr
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
    router: routerFor(
      [...own.values()].map((l) => l.matcher),
      previous?.servers.get(name)?.router,
    ),
    locations: own,
    serverTiming: conf.enable_server_timing === true,
    accessLog: conf.access_log,
    limits: serverLimits(conf),
    tls: conf.global_certificates === true ? serverTlsSettings(conf, name) : undefined,
  }
}

/** Runs `fn`, attributing a ConfigError to the file its item came from. */
function attributed<T>(sources: SourceMap | undefined, item: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof ConfigError) throw err.withFile(sources?.get(item))
    throw err
  }
}

/** Builds the snapshot for `config`; throws ConfigErrors listing every problem found. */
export function buildSnapshot(
  config: PingapConfig,
  previous: Snapshot | undefined,
  version: number,
  deps: BuildDeps,
): Snapshot {
  const errors: ConfigError[] = []
  const collect = <T>(item: string, fn: () => T): T | undefined => {
    try {
      return attributed(deps.sources, item, fn)
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err)
      else if (err instanceof ConfigErrors) errors.push(...err.errors)
      else throw err
      return undefined
    }
  }
  const plugins = collect('plugins', () => buildPlugins(config, previous, deps)) ?? new Map()
  const built = collect('upstreams', () => buildUpstreams(config, previous))
  const locations = new Map<string, LocationRuntime>()
  const previousLocations = locationsOf(previous)
  for (const name of Object.keys(config.locations)) {
    const location = collect(`locations.${name}`, () =>
      buildLocation(name, config, plugins, previous, previousLocations),
    )
    if (location !== undefined) locations.set(name, location)
  }
  const servers = new Map<string, ServerRuntime>()
  for (const [name, conf] of Object.entries(config.servers)) {
    const server = collect(`servers.${name}`, () => {
      deps.checkServer?.(name, conf)
      return buildServer(name, conf, locations, previous)
    })
    if (server !== undefined) servers.set(name, server)
  }
  const challenge = collect('basic', () => implicitChallengeServer(config))
  if (challenge !== undefined) {
    servers.set(CHALLENGE_SERVER_NAME, buildServer(CHALLENGE_SERVER_NAME, challenge, locations))
  }
  const tls = collect('certificates', () =>
    buildSniStore(config.certificates, previous?.tls, deps.sources),
  )
  const trustedProxies = collect('basic', () => buildTrustedProxies(config.basic.trusted_proxies))
  if (errors.length > 0 || built === undefined || tls === undefined) {
    throw new ConfigErrors(errors)
  }
  return {
    version,
    config,
    servers,
    upstreams: built.upstreams,
    upstreamKeys: built.keys,
    plugins,
    trustedProxies,
    errorTemplate: config.basic.error_template ?? DEFAULT_ERROR_TEMPLATE,
    graceMs: parseDuration(config.basic.grace_period ?? '5m') ?? 300_000,
    shutdownTimeoutMs: parseDuration(config.basic.graceful_shutdown_timeout ?? '5s') ?? 5_000,
    tls,
  }
}
