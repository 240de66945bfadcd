/**
 * The locations part of buildSnapshot: each location is compiled once and reused whole while
 * its conf (and its plugins) stay the same, so a reload of 10,000 locations that changes one
 * does about one location's work, and says which names changed so servers can be updated
 * instead of rebuilt.
 */
import { parseByteSize, parseDuration } from '../core/duration.ts'
import { ConfigError } from '../core/errors.ts'
import { sameJson } from '../core/same-json.ts'
import type { LocationConf, PingapConfig } from '../config/types.ts'
import { buildChains } from '../plugins/chains.ts'
import type { Plugin } from '../plugins/types.ts'
import { compileLocation } from '../router/index.ts'
import type { LocationMatcher } from '../router/types.ts'
import { buildHeaderRules } from './header-rules.ts'
import type { LocationRuntime, Snapshot } from './snapshot.ts'

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
  return samePlugins(conf, plugins, previous)
}

/** True when every plugin `conf` names is the same object as in `previous`. */
function samePlugins(
  conf: LocationConf,
  plugins: ReadonlyMap<string, Plugin>,
  previous: Snapshot | undefined,
): boolean {
  for (const name of conf.plugins ?? []) {
    if (plugins.get(name) !== previous?.plugins.get(name)) return false
  }
  return true
}

/** Every location a snapshot built, by name (saves collecting them again from its servers). */
const builtLocations = new WeakMap<Snapshot, ReadonlyMap<string, LocationRuntime>>()

/** The locations of `previous` by name (those of its servers; the first server wins). */
function locationsOf(previous: Snapshot | undefined): ReadonlyMap<string, LocationRuntime> {
  const built = previous === undefined ? undefined : builtLocations.get(previous)
  if (built !== undefined) return built
  const out = new Map<string, LocationRuntime>()
  for (const server of previous?.servers.values() ?? []) {
    for (const [name, location] of server.locations) if (!out.has(name)) out.set(name, location)
  }
  return out
}

/** Keeps the locations `snapshot` was built with, for the next build to start from. */
export function rememberLocations(
  snapshot: Snapshot,
  locations: ReadonlyMap<string, LocationRuntime>,
): void {
  builtLocations.set(snapshot, locations)
}

/**
 * Locations built between two yields of the build (about 5 ms of work here): a sliced build
 * (runtime.ts) gives the event loop back that often, so a reload that changes every one of
 * 10,000 locations does not hold up requests for the whole build.
 */
export const LOCATIONS_PER_STEP = 250

/** Runs one item's build, collecting its ConfigError (buildSnapshot's `collect`). */
export type Collect = <T>(item: string, fn: () => T) => T | undefined

/**
 * Every location of `config`, reusing `previous`'s where nothing changed. `changed` names the
 * locations that are not `previous`'s objects (new, rebuilt or removed); undefined without a
 * previous snapshot.
 */
export function* buildLocations(
  config: PingapConfig,
  plugins: ReadonlyMap<string, Plugin>,
  previous: Snapshot | undefined,
  collect: Collect,
  hint?: ChangeHint,
): Generator<void, { locations: Map<string, LocationRuntime>; changed: Set<string> | undefined }> {
  const fast = yield* hinted(config, plugins, previous, collect, hint)
  if (fast !== undefined) return fast
  const locations = new Map<string, LocationRuntime>()
  const previousLocations = locationsOf(previous)
  const changed = new Set<string>()
  let kept = 0
  for (const name of Object.keys(config.locations)) {
    const old = previousLocations.get(name)
    if (old !== undefined) kept++
    const conf = config.locations[name]
    // The common case of a large reload, checked before any closure is made.
    if (
      old !== undefined &&
      conf !== undefined &&
      builtFrom.get(old) === conf &&
      samePlugins(conf, plugins, previous)
    ) {
      locations.set(name, old)
      continue
    }
    changed.add(name)
    const location = collect(`locations.${name}`, () =>
      buildLocation(name, config, plugins, previous, previousLocations),
    )
    if (location !== undefined) locations.set(name, location)
    if (changed.size % LOCATIONS_PER_STEP === 0) yield
  }
  if (kept < previousLocations.size) {
    for (const name of previousLocations.keys()) {
      if (!Object.hasOwn(config.locations, name)) changed.add(name)
    }
  }
  return { locations, changed: previous === undefined ? undefined : changed }
}

/** What changed since the previous snapshot's config: a version's change list (versions.ts). */
export interface ChangeHint {
  /** The hash of the config the list was made against. */
  readonly base: string
  /** `+locations.a`, `~locations.b`, `-upstreams.u`, `basic`… */
  readonly changes: readonly string[]
}

/** The names of `category` items a change list mentions. */
function mentioned(changes: readonly string[], category: string): string[] {
  const prefix = `${category}.`
  const out: string[] = []
  for (const change of changes) {
    const id = change.slice(1)
    if (/^[+~-]/.test(change) && id.startsWith(prefix)) out.push(id.slice(prefix.length))
  }
  return out
}

/**
 * With a change list made against `previous`'s config and every plugin object unchanged, the
 * locations it does not mention are `previous`'s as they are: copy them all at once and build
 * only the mentioned ones (a one-location edit of 10,000 then costs one location, not a pass
 * over all of them). Undefined when the hint does not apply.
 */
function* hinted(
  config: PingapConfig,
  plugins: ReadonlyMap<string, Plugin>,
  previous: Snapshot | undefined,
  collect: Collect,
  hint: ChangeHint | undefined,
): Generator<void, { locations: Map<string, LocationRuntime>; changed: Set<string> } | undefined> {
  if (hint === undefined || previous === undefined || previous.config.hash !== hint.base) {
    return undefined
  }
  const before = builtLocations.get(previous)
  if (before === undefined || plugins.size !== previous.plugins.size) return undefined
  for (const [name, plugin] of plugins) if (previous.plugins.get(name) !== plugin) return undefined
  const locations = new Map(before)
  const changed = new Set(mentioned(hint.changes, 'locations'))
  let built = 0
  for (const name of changed) {
    locations.delete(name)
    if (!Object.hasOwn(config.locations, name)) continue
    const location = collect(`locations.${name}`, () =>
      buildLocation(name, config, plugins, previous, before),
    )
    if (location !== undefined) locations.set(name, location)
    if (++built % LOCATIONS_PER_STEP === 0) yield
  }
  return { locations, changed }
}
