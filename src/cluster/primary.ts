/**
 * The cluster primary (threads > 1): the control plane of decisions §5. It owns the config
 * store, watcher, pipeline, versions and health monitors, never serves traffic, and publishes
 * each validated version to its workers one at a time. It replaces dead workers, rolls a
 * restart one worker at a time (SIGUSR2), and drains every worker on shutdown.
 */
import { CertificateService } from '../acme/service.ts'
import cluster from 'node:cluster'
import { parseConfig } from '../config/parse.ts'
import type { ConfigStore } from '../config/store.ts'
import type { LoadedConfig, PingapConfig, SourceMap } from '../config/types.ts'
import { configureLogger, logger } from '../core/logger.ts'
import { emitNotification } from '../core/notifications.ts'
import { HealthMonitors } from '../control/health.ts'
import {
  buildHints,
  ConfigPipeline,
  type PipelineResult,
  type PublishedFrom,
} from '../control/pipeline.ts'
import { preparerFor } from '../control/prepare-thread.ts'
import { runtimeStatus, type RuntimeStatusSource } from '../control/status.ts'
import { VersionLog, type ConfigVersion } from '../control/versions.ts'
import type { BuildDeps } from '../runtime/build.ts'
import { Runtime } from '../runtime/runtime.ts'
import { checkObservability, Observability } from '../observability.ts'
import { encodeConfig } from './config-codec.ts'
import { MetricsAggregator } from './metrics-aggregator.ts'
import type { HealthEntry, ToWorker } from './messages.ts'
import { threadCount } from './threads.ts'
import { WorkerSet, type WorkerHandle, type WorkerState } from './worker-set.ts'

const log = logger.child({ module: 'cluster' })

/** How long a new worker may take to apply its first version and open its listeners. */
const READY_TIMEOUT_MS = 60_000
/** How long a worker may take to answer a published version. */
const ACK_TIMEOUT_MS = 60_000

export interface PrimaryOptions {
  readonly store: ConfigStore
  readonly autoreload: boolean
  /** `--threads` when given (0 = CPU count); undefined follows `basic.threads`. */
  readonly threads: number | undefined
  readonly buildDeps: (loaded?: LoadedConfig) => BuildDeps
  /** The version log to continue (the admin server's persisted history). */
  readonly versions?: VersionLog | undefined
}

/** A worker as the status shows it. */
export interface WorkerStatus {
  readonly id: number
  readonly pid: number | undefined
  readonly state: WorkerState
  readonly version: number
}

/** The version every worker should run, encoded once for all of them. */
interface Published {
  readonly version: number
  readonly hash: string
  readonly text: string
  readonly sources: ReadonlyArray<readonly [string, string]>
}

function encode(version: number, config: PingapConfig, sources: SourceMap): Published {
  return { version, ...encodeConfig(config), sources: [...sources] }
}

/**
 * Workers accept from the shared listening socket themselves (SCHED_NONE) instead of Node's
 * Linux default, round-robin by the primary. With round-robin a connection handed to a worker
 * that has just died hangs until the client gives up, and a primary busy parsing a large config
 * delays every new connection; docs/cluster.md has the figures. NODE_CLUSTER_SCHED_POLICY
 * (`rr` or `none`) overrides the choice.
 */
function chooseSchedulingPolicy(): void {
  if (process.env['NODE_CLUSTER_SCHED_POLICY'] === undefined) {
    cluster.schedulingPolicy = cluster.SCHED_NONE
  }
  // Structured clone instead of JSON: a config's text travels without being escaped and
  // re-parsed by the IPC layer itself.
  cluster.setupPrimary({ serialization: 'advanced' })
}

export class Primary {
  readonly pipeline: ConfigPipeline
  readonly versions: VersionLog
  readonly #options: PrimaryOptions
  /** The control plane's own snapshot: the dry-run build, and the health monitors' upstreams. */
  readonly #runtime: Runtime
  readonly #health: HealthMonitors
  /** Webhook notifications of config and health events (request metrics live in workers). */
  /**
   * No Node default metrics here: scrapes and pushes render the workers' sum plus the control
   * families (metrics-aggregator.ts), never the primary's own registry, and prom-client's
   * event-loop monitor would wake this otherwise idle process 100 times a second.
   */
  readonly #observability = new Observability({ defaultMetrics: false })
  readonly #workers: WorkerSet
  readonly #watch = new AbortController()
  /** Certificate validity checks and ACME run here, where the store is. */
  readonly #certificates: CertificateService
  readonly #metrics: MetricsAggregator
  #published: Published
  #restarting: Promise<void> | undefined
  #stopping: Promise<void> | undefined

  private constructor(
    options: PrimaryOptions,
    runtime: Runtime,
    versions: VersionLog,
    sources: SourceMap,
  ) {
    this.#options = options
    this.#runtime = runtime
    this.versions = versions
    this.#published = encode(runtime.current.version, runtime.current.config, sources)
    this.#health = new HealthMonitors((upstream, address, healthy) => {
      this.#observability.healthFlipped(upstream, address, healthy)
      for (const handle of this.#workers.live()) {
        if (handle.greeted) handle.send({ type: 'health', upstream, address, healthy })
      }
    })
    this.#workers = new WorkerSet({
      onHello: (handle) => handle.send(this.#configMessage()),
      onReplaced: (dead, fresh) =>
        log.warn('worker replaced', { dead: dead.pid, worker: fresh.id, pid: fresh.pid }),
      onMessage: (handle, message) => {
        if (message.type === 'metrics-request') this.#answerMetrics(handle, message.id)
      },
    })
    const control = this.#observability.metrics.control
    this.#metrics = new MetricsAggregator({
      workers: () => this.#workers.live().filter((h) => h.greeted),
      control: () => Promise.all(Object.values(control).map((family) => family.get())),
    })
    // Pushes (prometheus_metrics = a URL) leave the primary, with the sum over every worker.
    this.#observability.metrics.setRenderer(() => this.#metrics.render())
    this.pipeline = new ConfigPipeline({
      store: options.store,
      versions,
      dataPlane: { publish: (version, loaded) => this.#publish(version, loaded) },
      events: this.#observability.pipelineEvents,
      preparer: preparerFor(options.store, runtime.current.config),
    })
    this.#certificates = new CertificateService({
      store: options.store,
      config: () => runtime.current.config,
      certificates: () => runtime.current.tls,
      reload: (source) => this.pipeline.run(source),
    })
  }

  /** Validates the config, forks the workers and resolves once every one of them is ready. */
  static async start(options: PrimaryOptions): Promise<Primary> {
    const loaded = await options.store.load()
    const config = parseConfig(loaded)
    configureLogger({ level: config.basic.log_level, json: config.basic.log_format_json })
    const versions = options.versions ?? new VersionLog()
    const runtime = Runtime.create(options.buildDeps(loaded), config, versions.numberFor(config))
    versions.record(config, 'startup')
    chooseSchedulingPolicy()
    const primary = new Primary(options, runtime, versions, loaded.sources)
    primary.#health.sync(runtime.current)
    const count = primary.#threads()
    try {
      await primary.#observability.apply(runtime.current)
      const forked = primary.#workers.resize(count, 0, 0)
      await Promise.all(forked.map((h) => primary.#workers.waitReady(h, READY_TIMEOUT_MS)))
    } catch (err) {
      primary.#workers.killAll()
      primary.#health.stopAll()
      await primary.#observability.close()
      await runtime.close()
      await options.store.close()
      await primary.pipeline.close()
      throw err
    }
    primary.#workers.replaceDeadWorkers(true)
    primary.#certificates.start()
    if (options.autoreload) primary.#watchStore()
    log.info('pingap-ts started', {
      version: runtime.current.version,
      workers: count,
      pid: process.pid,
    })
    return primary
  }

  /** The config of the current version. */
  get config(): PingapConfig {
    return this.#runtime.current.config
  }

  /** The workers and the version each one runs. */
  workers(): WorkerStatus[] {
    return this.#workers
      .all()
      .map((h) => ({ id: h.id, pid: h.pid, state: h.state, version: h.version }))
  }

  /** What the admin status shows: the control plane's snapshot and the configured addresses. */
  statusSource(): RuntimeStatusSource {
    return () => {
      const servers = this.#runtime.current.config.servers
      const addresses = new Map(
        Object.entries(servers).map(([name, s]) => [name, s.addr.split(',').map((a) => a.trim())]),
      )
      return runtimeStatus(this.#runtime.current, addresses)
    }
  }

  /** A worker got a scrape: answer it with the sum over every worker. */
  #answerMetrics(handle: WorkerHandle, id: number): void {
    this.#metrics.render().then(
      (text) => handle.send({ type: 'metrics-reply', id, text }),
      (err: unknown) => {
        log.error('aggregating worker metrics failed', { err })
        handle.send({ type: 'metrics-reply', id, error: String(err) })
      },
    )
  }

  #threads(): number {
    return threadCount(this.#options.threads ?? this.#runtime.current.config.basic.threads)
  }

  #healthTable(): HealthEntry[] {
    const entries: HealthEntry[] = []
    for (const [name, upstream] of this.#runtime.current.upstreams) {
      for (const backend of upstream.backends) {
        entries.push({ upstream: name, address: backend.address, healthy: backend.healthy })
      }
    }
    return entries
  }

  #configMessage(): ToWorker {
    const p = this.#published
    return {
      type: 'config',
      version: p.version,
      hash: p.hash,
      config: p.text,
      sources: p.sources,
      health: this.#healthTable(),
    }
  }

  /**
   * The DataPlane of the pipeline: the dry-run build here (it throws on a bad config, changing
   * nothing), then each worker in turn, so at most one of them is busy building at any time.
   * Resolves once every worker applied the version; throws naming the workers that refused it.
   */
  async #publish(version: ConfigVersion, loaded: PublishedFrom): Promise<void> {
    checkObservability(version.config)
    this.#runtime.apply(version.config, version.number, buildHints(version, loaded))
    await this.#observability.apply(this.#runtime.current)
    const config = this.#runtime.current.config
    configureLogger({ level: config.basic.log_level, json: config.basic.log_format_json })
    this.#health.sync(this.#runtime.current)
    this.#certificates.published()
    this.#published = encode(version.number, version.config, loaded.sources)
    const { graceMs, shutdownTimeoutMs } = this.#runtime.current
    if (this.#restarting === undefined)
      this.#workers.resize(this.#threads(), graceMs, shutdownTimeoutMs)
    const refusals: string[] = []
    for (const handle of this.#workers.live()) {
      if (!handle.greeted) continue // it asks for the current version when it says hello
      handle.send(this.#configMessage())
      const refusal = await this.#answer(handle, version.number)
      if (refusal !== undefined) refusals.push(refusal)
    }
    if (refusals.length > 0) {
      throw new Error(`version ${version.number} was rejected by ${refusals.join('; ')}`)
    }
  }

  /** Waits for `handle` to apply `version`: undefined when it did (or exited), else why not. */
  #answer(handle: WorkerHandle, version: number): Promise<string | undefined> {
    const who = `worker ${handle.id} (pid ${handle.pid})`
    return handle
      .next<{ refusal?: string }>(
        (event) => {
          if (event.type === 'exit') return {}
          if ((event.type === 'applied' || event.type === 'ready') && event.version >= version)
            return {}
          if (event.type === 'rejected' && event.version === version)
            return { refusal: `${who}: ${event.errors.join('; ')}` }
          return undefined
        },
        ACK_TIMEOUT_MS,
        `answer to version ${version}`,
      )
      .then(
        (answer) => answer.refusal,
        (err: unknown) => `${who}: ${err instanceof Error ? err.message : String(err)}`,
      )
  }

  #watchStore(): void {
    const loop = async (): Promise<void> => {
      for await (const _ of this.#options.store.watch(this.#watch.signal)) {
        await this.pipeline.run('file-change')
      }
    }
    loop().catch((err: unknown) => log.error('config watcher stopped', { err }))
  }

  /** Re-reads the config (SIGHUP, admin, tests). */
  reload(source = 'sighup'): Promise<PipelineResult> {
    return this.pipeline.run(source)
  }

  /**
   * Rolling restart (SIGUSR2): for each worker, fork a new one (it re-executes the binary, so a
   * new build on disk is picked up), wait until it is ready, then drain the old one.
   */
  restart(): Promise<void> {
    this.#restarting ??= this.#roll().finally(() => {
      this.#restarting = undefined
    })
    return this.#restarting
  }

  async #roll(): Promise<void> {
    const old = this.#workers.live()
    log.info('rolling restart', { workers: old.length })
    for (const handle of old) {
      if (handle.exited || this.#stopping !== undefined) continue
      const fresh = this.#workers.fork()
      try {
        await this.#workers.waitReady(fresh, READY_TIMEOUT_MS)
      } catch (err) {
        log.error('rolling restart stopped: a new worker did not start', { err })
        const why = err instanceof Error ? err.message : String(err)
        emitNotification({
          category: 'restart_fail',
          level: 'error',
          message: `rolling restart stopped, the old workers keep serving: a new worker did not start (${why})`,
        })
        return
      }
      const { graceMs, shutdownTimeoutMs } = this.#runtime.current
      await this.#workers.drain(handle, graceMs, shutdownTimeoutMs)
    }
    const workers = this.#workers.live().length
    log.info('rolling restart done', { workers })
    emitNotification({
      category: 'restart',
      level: 'info',
      message: `rolling restart done: ${workers} workers replaced one at a time`,
    })
  }

  /** Graceful stop: every worker drains (in-flight requests finish) and exits, then the primary. */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#watch.abort()
      this.#health.stopAll()
      this.#certificates.stop()
      const { graceMs, shutdownTimeoutMs } = this.#runtime.current
      await this.#workers.drainAll(graceMs, shutdownTimeoutMs)
      await this.#runtime.close()
      await this.#observability.close()
      await this.#options.store.close()
      await this.pipeline.close()
    })()
    return this.#stopping
  }
}
