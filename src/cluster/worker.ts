/**
 * A cluster worker: the data plane of one process. It receives validated versions and health
 * verdicts from the primary over IPC, applies them to its own Runtime and Listeners (the same
 * code as threads = 1), answers `ready` / `applied` / `rejected`, and drains when told to (or
 * when the primary goes away). It never reads the config store nor runs health checks.
 */
import cluster from 'node:cluster'
import type { LoadedConfig, PingapConfig } from '../config/types.ts'
import { isPingapError } from '../core/errors.ts'
import { configureLogger, logger } from '../core/logger.ts'
import { errorMessages } from '../control/pipeline.ts'
import { Listeners } from '../proxy/listeners.ts'
import { createRequestObserver, type RequestObserver } from '../proxy/observer.ts'
import { Observability } from '../observability.ts'
import type { BuildDeps } from '../runtime/build.ts'
import { Runtime } from '../runtime/runtime.ts'
import { decodeConfig } from './config-codec.ts'
import { MetricsRequests } from './metrics-requests.ts'
import {
  asToWorker,
  envelope,
  type HealthEntry,
  type ToPrimary,
  type ToWorker,
} from './messages.ts'

const log = logger.child({ module: 'worker', worker: cluster.worker?.id })

type ConfigMessage = Extract<ToWorker, { type: 'config' }>

/**
 * While draining, keep-alive connections get this long to leave by themselves (each response
 * now says `Connection: close`) before idle ones are cut; see Listeners#shutdown.
 */
const DRAIN_IDLE_WINDOW_MS = 2_000

export interface WorkerOptions {
  /** The same build dependencies the single-process App uses. */
  readonly buildDeps: (loaded?: LoadedConfig) => BuildDeps
}

function send(message: ToPrimary): void {
  // The channel is gone once the primary died; 'disconnect' starts the drain then.
  if (process.connected) process.send?.(envelope(message))
}

class DataPlaneWorker {
  readonly #options: WorkerOptions
  /** Metrics and tracing of this worker's requests (the primary sums the metrics). */
  readonly #observability = new Observability()
  readonly #observer: RequestObserver = createRequestObserver({
    metrics: this.#observability.metrics,
    tracing: this.#observability.tracing,
  })
  #runtime: Runtime | undefined
  #listeners: Listeners | undefined
  /** Listener syncs run one after the other, in version order. */
  #queue: Promise<void> = Promise.resolve()
  #draining: Promise<void> | undefined
  #ready = false
  readonly #inbox: ToWorker[] = []
  #decodeMs = 0
  #busy = false
  readonly #done: Promise<number>
  readonly #clusterMetrics = new MetricsRequests((id) => send({ type: 'metrics-request', id }))
  #exit: (code: number) => void = () => undefined

  constructor(options: WorkerOptions) {
    this.#options = options
    this.#done = new Promise((resolve) => (this.#exit = resolve))
    // A scrape on this worker answers the sum over every worker (docs/cluster.md).
    this.#observability.metrics.setRenderer(() => this.#clusterMetrics.request())
    // The primary pushes that sum once; every worker pushing it would repeat it N times.
    this.#observability.metrics.leavePushesToPrimary()
  }

  /** Resolves with the exit code once the worker drained (or failed to start). */
  get done(): Promise<number> {
    return this.#done
  }

  /** Queues `message`; messages are handled one at a time, in the order they arrived. */
  handle(message: ToWorker): void {
    this.#inbox.push(message)
    if (!this.#busy) this.#pump()
  }

  /**
   * Handles queued messages. A config takes two turns of the event loop (decode, then build
   * and swap), so requests are served in between and the longest block is the larger half,
   * not the sum; messages behind it (a health flip) wait and then find the new snapshot.
   */
  #pump(): void {
    this.#busy = true
    for (let message = this.#inbox.shift(); message !== undefined; message = this.#inbox.shift()) {
      if (message.type !== 'config') {
        this.#handleNow(message)
        continue
      }
      const decoded = this.#decode(message)
      if (decoded === undefined) continue
      setImmediate(() => {
        try {
          this.#apply(message, decoded)
        } finally {
          this.#pump()
        }
      })
      return
    }
    this.#busy = false
  }

  #handleNow(message: Exclude<ToWorker, ConfigMessage>): void {
    switch (message.type) {
      case 'health':
        this.#runtime?.current.upstreams
          .get(message.upstream)
          ?.setHealthy(message.address, message.healthy)
        break
      case 'drain':
        void this.drain(message.graceMs, message.timeoutMs)
        break
      case 'metrics-collect':
        void this.#sendMetrics(message.id)
        break
      case 'metrics-reply':
        this.#clusterMetrics.settle(message)
        break
    }
  }

  /** This worker's own metrics, as the primary sums them. */
  async #sendMetrics(id: number): Promise<void> {
    let metrics: unknown[] = []
    try {
      const registry = await this.#observability.metrics.registryReady()
      metrics = await registry.getMetricsAsJSON()
    } catch (err) {
      log.error('collecting metrics failed', { err })
    }
    send({ type: 'metrics', id, metrics })
  }

  #decode(message: ConfigMessage): PingapConfig | undefined {
    if (this.#draining !== undefined) return undefined
    try {
      const started = cpuMs()
      const config = decodeConfig({ hash: message.hash, text: message.config })
      this.#decodeMs = cpuMs() - started
      return config
    } catch (err) {
      this.#reject(message.version, err)
      if (this.#listeners === undefined) this.#exit(1)
      return undefined
    }
  }

  /**
   * Builds and swaps. The first version is built at once (nothing serves yet); later ones are
   * built in slices (Runtime.applyInSlices) so the old version keeps answering meanwhile. Every
   * step after the first build is queued, so versions apply in the order they came.
   */
  #apply(message: ConfigMessage, config: PingapConfig): void {
    if (this.#draining !== undefined) return
    const { version } = message
    const sources = new Map(message.sources.map(([item, file]) => [item, file] as const))
    const runtime = this.#runtime
    if (runtime !== undefined) {
      this.#queue = this.#queue.then(async () => {
        if (this.#draining !== undefined) return
        const started = cpuMs()
        try {
          await runtime.applyInSlices(config, version, { sources })
        } catch (err) {
          this.#reject(version, err)
          return
        }
        this.#built(message, config, started)
      })
      return
    }
    const started = cpuMs()
    try {
      this.#runtime = Runtime.create(this.#options.buildDeps({ raw: {}, sources }), config, version)
      this.#listeners = new Listeners(this.#runtime, this.#observer)
    } catch (err) {
      this.#reject(version, err)
      this.#exit(1)
      return
    }
    this.#built(message, config, started)
  }

  /** After a build: health states, the log, then (queued) the listeners and the reply. */
  #built(message: ConfigMessage, config: PingapConfig, started: number): void {
    const { version } = message
    if (this.#runtime !== undefined) applyHealth(this.#runtime, message.health)
    // What a reload costs this worker (bench/scale.ts reads them); a sliced build's CPU also
    // counts the requests served between its slices.
    log.debug('version built', {
      version,
      decodeCpuMs: Math.round(this.#decodeMs),
      buildCpuMs: Math.round(cpuMs() - started),
    })
    configureLogger({ level: config.basic.log_level, json: config.basic.log_format_json })
    this.#queue = this.#queue.then(() => this.#sync(version))
  }

  async #sync(version: number): Promise<void> {
    const runtime = this.#runtime
    const listeners = this.#listeners
    if (runtime === undefined || listeners === undefined || this.#draining !== undefined) return
    const starting = !this.#ready
    try {
      await this.#observability.apply(runtime.current)
      await listeners.sync(runtime.current)
    } catch (err) {
      this.#reject(version, err)
      // A worker that cannot open its listeners is useless; the primary decides what next.
      if (starting) this.#exit(1)
      return
    }
    if (starting) {
      this.#ready = true
      send({ type: 'ready', version })
    } else {
      send({ type: 'applied', version })
    }
  }

  #reject(version: number, err: unknown): void {
    const code = isPingapError(err) ? err.code : 'PGT_ERR_CONFIG_INVALID'
    const errors = errorMessages(err)
    log.error('version rejected, the previous one keeps serving', { version, errors })
    send({ type: 'rejected', version, code, errors })
  }

  /** Stops accepting, lets in-flight requests finish, closes everything, resolves `done`. */
  drain(graceMs?: number, timeoutMs?: number): Promise<void> {
    this.#draining ??= (async () => {
      const snapshot = this.#runtime?.current
      log.info('draining', { pid: process.pid })
      const grace = graceMs ?? snapshot?.graceMs ?? 0
      await this.#listeners?.shutdown(
        grace,
        timeoutMs ?? snapshot?.shutdownTimeoutMs ?? 0,
        Math.min(grace, DRAIN_IDLE_WINDOW_MS),
      )
      await this.#runtime?.close()
      await this.#observability.close()
      await this.#observer.close()
      this.#exit(0)
    })()
    return this.#draining
  }
}

/** CPU time of this process in ms: what a synchronous step costs, whatever else runs. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

function applyHealth(runtime: Runtime, entries: readonly HealthEntry[]): void {
  const upstreams = runtime.current.upstreams
  for (const entry of entries)
    upstreams.get(entry.upstream)?.setHealthy(entry.address, entry.healthy)
}

/**
 * Runs this process as a cluster worker until it drained; resolves with the exit code.
 * SIGINT and SIGHUP reach the whole process group from a terminal: only the primary acts on
 * them. SIGTERM sent to a worker alone drains it (the primary then replaces it).
 */
export async function runWorker(options: WorkerOptions): Promise<number> {
  const worker = new DataPlaneWorker(options)
  process.on('message', (raw: unknown) => {
    const message = asToWorker(raw)
    if (message !== undefined) worker.handle(message)
  })
  process.on('disconnect', () => {
    log.warn('the primary went away; draining')
    void worker.drain()
  })
  process.on('SIGINT', () => undefined)
  process.on('SIGHUP', () => undefined)
  process.on('SIGUSR2', () => undefined)
  process.on('SIGTERM', () => void worker.drain())
  send({ type: 'hello' })
  return worker.done
}
