/**
 * The metrics of one process: the metric families (definitions.ts), recorders bound per
 * (server, location) and (server, upstream), and the scrape renderer. prom-client (its
 * Registry, Node's default metrics, the scrape-time gauges: registry.ts) is loaded with
 * `import()` once a server sets `prometheus_metrics`; until then metrics cost nothing.
 *
 * Invariant: series exist only for locations and upstreams of the version being served
 * (`retain()` drops the others on reload) and only once they saw a request, so the series
 * count is bounded by the config, never by the traffic.
 *
 * Cluster mode: `await metrics.registryReady()` is a plain prom-client Registry; a worker hands
 * it to `AggregatorRegistry.setRegistries([registry])` and the primary sums the workers
 * with `AggregatorRegistry#clusterMetrics()` (every family here returns prom-client's JSON
 * shape from `get()`).
 */
import type { Registry } from 'prom-client'
import { controlFamilies, pluginFamilies, requestFamilies } from './definitions.ts'
import { isFamily, type AnyFamily } from './families.ts'
import { Pushers } from './push.ts'
import { LocationRecorder, UpstreamRecorder, type RequestFamilies } from './recorders.ts'
import type { UpstreamSource } from './scrape-gauges.ts'
import { parsePrometheusTarget, type PrometheusTarget } from './target.ts'

/** The text exposition format's Content-Type (prom-client's PROMETHEUS_CONTENT_TYPE). */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export interface MetricsOptions {
  /** Register Node's default metrics (event loop, heap, GC …); default true. */
  readonly defaultMetrics?: boolean
}

/** What a config version serves: server name → its location names, and the upstream names. */
export interface ServedNames {
  readonly servers: ReadonlyMap<string, readonly string[]>
  readonly upstreams: readonly string[]
}

/** One server of a config version, as the metrics need it. */
export interface MetricsServer {
  readonly name: string
  readonly locations: readonly string[]
  /** The server's `prometheus_metrics` value. */
  readonly prometheusMetrics: string | undefined
}

export class Metrics {
  readonly families: RequestFamilies
  readonly plugins: ReturnType<typeof pluginFamilies>
  readonly control: ReturnType<typeof controlFamilies>
  readonly #all: readonly AnyFamily[]
  readonly #defaultMetrics: boolean
  #registry: Promise<Registry> | undefined
  readonly #locations = new Map<string, Map<string, LocationRecorder>>()
  readonly #upstreams = new Map<string, Map<string, UpstreamRecorder>>()
  readonly #pushers: Pushers
  /** Whether this process pushes (`prometheus_metrics` set to a URL). */
  #pushing = true
  #pullPaths: ReadonlyMap<string, string> = new Map()
  /** Servers with `prometheus_metrics` set: only their requests are recorded (as Pingap). */
  #recording: ReadonlySet<string> = new Set()
  #source: UpstreamSource | undefined
  #renderer: (() => Promise<string>) | undefined

  constructor(options: MetricsOptions = {}) {
    this.families = requestFamilies()
    this.plugins = pluginFamilies()
    this.control = controlFamilies()
    this.#all = [
      ...Object.values(this.families),
      ...Object.values(this.plugins),
      ...Object.values(this.control),
    ]
    this.#defaultMetrics = options.defaultMetrics ?? true
    this.#pushers = new Pushers(() => this.render(), CONTENT_TYPE)
  }

  /** The prom-client Registry holding every metric, loaded on first use. */
  registryReady(): Promise<Registry> {
    this.#registry ??= import('./registry.ts').then(({ buildRegistry }) =>
      buildRegistry({
        families: this.#all,
        defaultMetrics: this.#defaultMetrics,
        upstreams: () => this.#source,
      }),
    )
    return this.#registry
  }

  /**
   * Applies a config version: pull paths, pushers, and the series kept; loads prom-client when
   * a server exports metrics. Throws ConfigError (changing nothing) for an invalid
   * `prometheus_metrics`.
   */
  async apply(servers: readonly MetricsServer[], upstreams: readonly string[]): Promise<void> {
    const pulls = new Map<string, string>()
    const recording = new Set<string>()
    const pushes: Array<Extract<PrometheusTarget, { kind: 'push' }>> = []
    for (const s of servers) {
      const target = parsePrometheusTarget(
        s.prometheusMetrics,
        `servers.${s.name}.prometheus_metrics`,
      )
      if (target === undefined) continue
      recording.add(s.name)
      if (target.kind === 'pull') pulls.set(s.name, target.path)
      else pushes.push(target)
    }
    // Loaded before the first scrape can arrive, so Node's default metrics start counting now.
    if (recording.size > 0) await this.registryReady()
    this.#pullPaths = pulls
    this.#recording = recording
    this.#pushers.sync(this.#pushing ? pushes : [])
    this.retain({ servers: new Map(servers.map((s) => [s.name, s.locations])), upstreams })
  }

  /** The pull path of a server (`prometheus_metrics = "/metrics"`), if it has one. */
  pullPath(server: string): string | undefined {
    return this.#pullPaths.get(server)
  }

  /** Pushes one last time and stops the pushers. */
  close(): Promise<void> {
    return this.#pushers.close()
  }

  /** The Content-Type of `render()`'s text. */
  get contentType(): string {
    return CONTENT_TYPE
  }

  /** The recorder of a request, or undefined when its server does not export metrics. */
  recorderFor(server: string, location: string): LocationRecorder | undefined {
    return this.#recording.has(server) ? this.location(server, location) : undefined
  }

  /** The recorder of (server, location), bound on first use. */
  location(server: string, location: string): LocationRecorder {
    let byName = this.#locations.get(server)
    if (byName === undefined) {
      byName = new Map()
      this.#locations.set(server, byName)
    }
    let recorder = byName.get(location)
    if (recorder === undefined) {
      recorder = new LocationRecorder(this.families, server, location)
      byName.set(location, recorder)
    }
    return recorder
  }

  /** The recorder of (server, upstream), bound on first use. */
  upstream(server: string, upstream: string): UpstreamRecorder {
    let byName = this.#upstreams.get(server)
    if (byName === undefined) {
      byName = new Map()
      this.#upstreams.set(server, byName)
    }
    let recorder = byName.get(upstream)
    if (recorder === undefined) {
      recorder = new UpstreamRecorder(this.families, server, upstream)
      byName.set(upstream, recorder)
    }
    return recorder
  }

  /** Where scrape-time upstream gauges (pool connections, health) read from. */
  setUpstreamSource(source: UpstreamSource | undefined): void {
    this.#source = source
  }

  /** Records a config pipeline outcome (`pingap_config_*`). */
  configOutcome(result: 'applied' | 'unchanged' | 'rejected', version?: number): void {
    const c = this.control
    c.reloads.child(result).inc()
    c.lastReloadSuccess.child().set(result === 'rejected' ? 0 : 1)
    c.lastReloadTime.child().set(Date.now() / 1000)
    if (version !== undefined && result !== 'rejected') c.configVersion.child().set(version)
  }

  /** Records a health-check flip of one backend. */
  healthChanged(upstream: string, backend: string, healthy: boolean): void {
    const state = healthy ? 'healthy' : 'unhealthy'
    this.control.healthTransitions.child(upstream, backend, state).inc()
  }

  /** Drops the series of servers, locations and upstreams that `served` no longer has. */
  retain(served: ServedNames): void {
    const upstreams = new Set(served.upstreams)
    const keepLocation = (server: string, location: string): boolean =>
      location === '' || served.servers.get(server)?.includes(location) === true
    for (const [server, byName] of this.#locations) {
      for (const name of byName.keys()) if (!keepLocation(server, name)) byName.delete(name)
      if (!served.servers.has(server)) this.#locations.delete(server)
    }
    for (const [server, byName] of this.#upstreams) {
      for (const name of byName.keys()) {
        if (!upstreams.has(name) || !served.servers.has(server)) byName.delete(name)
      }
    }
    this.control.healthTransitions.removeWhere(([upstream = '']) => !upstreams.has(upstream))
    for (const family of Object.values(this.families)) {
      const byUpstream = family.labelNames[1] === 'upstream'
      family.removeWhere(([server = '', second = '']) => {
        if (!served.servers.has(server)) return true
        if (family.labelNames.length < 2) return false
        return byUpstream ? !upstreams.has(second) : !keepLocation(server, second)
      })
    }
  }

  /**
   * Makes `render()` (scrapes and pushes) answer with `renderer`'s text instead of this
   * process's own: a cluster worker renders the sum over every worker, computed by the primary.
   */
  setRenderer(renderer: (() => Promise<string>) | undefined): void {
    this.#renderer = renderer
  }

  /**
   * Leaves Pushgateway pushes to another process: a cluster worker, whose primary pushes the
   * sum over every worker once (instead of each worker pushing the same sum).
   */
  leavePushesToPrimary(): void {
    this.#pushing = false
    this.#pushers.sync([])
  }

  /** Renders every metric in the text exposition format (families without prom-client). */
  async render(): Promise<string> {
    if (this.#renderer !== undefined) return await this.#renderer()
    const registry = await this.registryReady()
    const { renderWithPromClient } = await import('./registry.ts')
    const parts = await Promise.all(
      (registry.getMetricsAsArray() as unknown[]).map((metric) => {
        if (!isFamily(metric)) return renderWithPromClient(registry, metric)
        const lines: string[] = []
        metric.render(lines)
        return Promise.resolve(lines.join('\n'))
      }),
    )
    return `${parts.join('\n\n')}\n`
  }
}
