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
import type { PingapConfig, RawTable, ServerConf, SourceMap } from '../config/types.ts'
import type { PluginRegistry } from '../plugins/registry.ts'
import type { Plugin } from '../plugins/types.ts'
import { createRouter } from '../router/index.ts'
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
import { buildLocations, rememberLocations, type ChangeHint } from './build-locations.ts'
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
  /** What changed since the previous snapshot's config, when known (saves comparing). */
  readonly changes?: ChangeHint
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

/** Build keys by conf object: an unchanged upstream is the previous version's object. */
const upstreamKeys = new WeakMap<object, { pool: unknown; key: string }>()

function upstreamKey(name: string, config: PingapConfig): string {
  const conf = config.upstreams[name]
  const pool = config.basic.upstream_keepalive_pool_size
  const known = conf === undefined ? undefined : upstreamKeys.get(conf)
  if (known !== undefined && known.pool === pool) return known.key
  const key = hashConfig({ conf, pool })
  if (conf !== undefined) upstreamKeys.set(conf, { pool, key })
  return key
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

/**
 * The previous server's locations updated with the few that changed, when its location list
 * is the very same (a reload that left the server alone); undefined otherwise. `sameMatchers`
 * says whether its router can be kept as is.
 */
function updatedLocations(
  conf: ServerConf,
  locations: ReadonlyMap<string, LocationRuntime>,
  before: ServerRuntime | undefined,
  changed: ReadonlySet<string> | undefined,
): { own: ReadonlyMap<string, LocationRuntime>; sameMatchers: boolean } | undefined {
  if (before === undefined || changed === undefined) return undefined
  if (before.conf.locations !== conf.locations) return undefined
  // The list is the same, so only the locations built anew (or removed) can differ.
  let own: Map<string, LocationRuntime> | undefined
  let sameMatchers = true
  for (const name of changed) {
    const old = before.locations.get(name)
    if (old === undefined) continue
    const location = locations.get(name)
    // Removed (or failed): the full path reports it.
    if (location === undefined) return undefined
    own ??= new Map(before.locations)
    own.set(name, location)
    if (location.matcher !== old.matcher) sameMatchers = false
  }
  return { own: own ?? before.locations, sameMatchers }
}

function buildServer(
  name: string,
  conf: ServerConf,
  locations: ReadonlyMap<string, LocationRuntime>,
  previous?: Snapshot,
  changed?: ReadonlySet<string>,
): ServerRuntime {
  const before = previous?.servers.get(name)
  const updated = updatedLocations(conf, locations, before, changed)
  const own = updated === undefined ? listedLocations(name, conf, locations) : updated.own
  return {
    name,
    conf,
    addrs: conf.addr
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== ''),
    router:
      updated?.sameMatchers === true && before !== undefined
        ? before.router
        : routerFor(
            [...own.values()].map((l) => l.matcher),
            before?.router,
          ),
    locations: own,
    serverTiming: conf.enable_server_timing === true,
    accessLog: conf.access_log,
    limits: serverLimits(conf),
    tls: conf.global_certificates === true ? serverTlsSettings(conf, name) : undefined,
  }
}

/** The locations a server lists, in its order; throws on a name that has no location. */
function listedLocations(
  name: string,
  conf: ServerConf,
  locations: ReadonlyMap<string, LocationRuntime>,
): Map<string, LocationRuntime> {
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
  return own
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

/** Builds the snapshot for `config` at once; throws ConfigErrors listing every problem found. */
export function buildSnapshot(
  config: PingapConfig,
  previous: Snapshot | undefined,
  version: number,
  deps: BuildDeps,
): Snapshot {
  const steps = snapshotSteps(config, previous, version, deps)
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
  }
}

/**
 * buildSnapshot(), giving the event loop back between slices of locations (setImmediate), so
 * requests keep being served while a large reload builds. The previous snapshot serves until
 * the new one is complete, as with buildSnapshot().
 */
export async function buildSnapshotInSlices(
  config: PingapConfig,
  previous: Snapshot | undefined,
  version: number,
  deps: BuildDeps,
): Promise<Snapshot> {
  const steps = snapshotSteps(config, previous, version, deps)
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** The build itself; it yields between slices of locations (build-locations.ts). */
function* snapshotSteps(
  config: PingapConfig,
  previous: Snapshot | undefined,
  version: number,
  deps: BuildDeps,
): Generator<void, Snapshot> {
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
  const { locations, changed } = yield* buildLocations(
    config,
    plugins,
    previous,
    collect,
    deps.changes,
  )
  const servers = new Map<string, ServerRuntime>()
  for (const [name, conf] of Object.entries(config.servers)) {
    const server = collect(`servers.${name}`, () => {
      deps.checkServer?.(name, conf)
      return buildServer(name, conf, locations, previous, changed)
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
  const snapshot: Snapshot = {
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
  rememberLocations(snapshot, locations)
  return snapshot
}
