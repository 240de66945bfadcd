/**
 * The metrics of one process: a prom-client Registry holding every metric (definitions.ts),
 * recorders bound per (server, location) and (server, upstream), and the scrape renderer.
 *
 * Invariant: series exist only for locations and upstreams of the version being served
 * (`retain()` drops the others on reload) and only once they saw a request, so the series
 * count is bounded by the config, never by the traffic.
 *
 * Cluster mode: `registry` is a plain prom-client Registry; a worker hands it to
 * `AggregatorRegistry.setRegistries([metrics.registry])` and the primary sums the workers
 * with `AggregatorRegistry#clusterMetrics()` (every family here returns prom-client's JSON
 * shape from `get()`).
 */
import { Registry } from 'prom-client'
import { controlMetrics, pluginFamilies, registerAll, requestFamilies } from './definitions.ts'
import { isFamily, type AnyFamily } from './families.ts'
import { Pushers } from './push.ts'
import { LocationRecorder, UpstreamRecorder, type RequestFamilies } from './recorders.ts'
import {
  registerProcessGauges,
  registerUpstreamGauges,
  type UpstreamSource,
} from './scrape-gauges.ts'
import { parsePrometheusTarget, type PrometheusTarget } from './target.ts'

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

type RenderOne = (metric: unknown) => Promise<string>

export class Metrics {
  readonly registry = new Registry()
  readonly families: RequestFamilies
  readonly plugins: ReturnType<typeof pluginFamilies>
  readonly control: ReturnType<typeof controlMetrics>
  readonly #locations = new Map<string, Map<string, LocationRecorder>>()
  readonly #upstreams = new Map<string, Map<string, UpstreamRecorder>>()
  readonly #pushers: Pushers
  #pullPaths: ReadonlyMap<string, string> = new Map()
  /** Servers with `prometheus_metrics` set: only their requests are recorded (as Pingap). */
  #recording: ReadonlySet<string> = new Set()
  #source: UpstreamSource | undefined

  constructor(options: MetricsOptions = {}) {
    this.families = requestFamilies()
    this.plugins = pluginFamilies()
    const all: AnyFamily[] = [...Object.values(this.families), ...Object.values(this.plugins)]
    registerAll(this.registry, all, options.defaultMetrics ?? true)
    this.control = controlMetrics(this.registry)
    registerProcessGauges(this.registry)
    registerUpstreamGauges(this.registry, () => this.#source)
    this.#pushers = new Pushers(() => this.render(), this.registry.contentType)
  }

  /**
   * Applies a config version: pull paths, pushers, and the series kept. Throws ConfigError
   * (changing nothing) for an invalid `prometheus_metrics`.
   */
  apply(servers: readonly MetricsServer[], upstreams: readonly string[]): void {
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
    this.#pullPaths = pulls
    this.#recording = recording
    this.#pushers.sync(pushes)
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
    return this.registry.contentType
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
    this.control.reloads.inc({ result })
    this.control.lastReloadSuccess.set(result === 'rejected' ? 0 : 1)
    this.control.lastReloadTime.set(Date.now() / 1000)
    if (version !== undefined && result !== 'rejected') this.control.configVersion.set(version)
  }

  /** Records a health-check flip of one backend. */
  healthChanged(upstream: string, backend: string, healthy: boolean): void {
    this.control.healthTransitions.inc({
      upstream,
      backend,
      state: healthy ? 'healthy' : 'unhealthy',
    })
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
    for (const family of Object.values(this.families)) {
      const byUpstream = family.labelNames[1] === 'upstream'
      family.removeWhere(([server = '', second = '']) => {
        if (!served.servers.has(server)) return true
        if (family.labelNames.length < 2) return false
        return byUpstream ? !upstreams.has(second) : !keepLocation(server, second)
      })
    }
  }

  /** Renders every metric in the text exposition format (families without prom-client). */
  async render(): Promise<string> {
    const registry = this.registry as unknown as { getMetricsAsString: RenderOne }
    const parts = await Promise.all(
      (this.registry.getMetricsAsArray() as unknown[]).map((metric) => {
        if (!isFamily(metric)) return registry.getMetricsAsString.call(this.registry, metric)
        const lines: string[] = []
        metric.render(lines)
        return Promise.resolve(lines.join('\n'))
      }),
    )
    return `${parts.join('\n\n')}\n`
  }
}
