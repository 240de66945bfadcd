/**
 * The composition root for one process (threads = 1): the control plane (store, watcher,
 * pipeline, versions, health monitors) and the data plane (runtime, listeners) side by side.
 */
import { CertificateService } from './acme/service.ts'
import { EtcdConfigStore } from './config/etcd-store.ts'
import { parseConfig } from './config/parse.ts'
import type { ConfigStore } from './config/store.ts'
import type { LoadedConfig, PingapConfig } from './config/types.ts'
import { configureLogger, logger } from './core/logger.ts'
import type { AuditLog } from './control/audit.ts'
import { HealthMonitors } from './control/health.ts'
import { NodeReporter } from './control/node-status.ts'
import {
  buildHints,
  ConfigPipeline,
  type DataPlane,
  type PipelineResult,
  type PublishedFrom,
} from './control/pipeline.ts'
import { preparerFor } from './control/prepare-thread.ts'
import { runtimeStatus, type RuntimeStatusSource } from './control/status.ts'
import { VersionLog, type ConfigVersion } from './control/versions.ts'
import { createBuiltinRegistry } from './plugins/builtin/index.ts'
import { BUILTIN_PLUGIN_TABLES } from './plugins/builtin/defaults.ts'
import type { AdminMountFactory } from './plugins/builtin/admin.ts'
import { Observability, checkObservability } from './observability.ts'
import { Listeners } from './proxy/listeners.ts'
import { checkAccessLog, createRequestObserver, type RequestObserver } from './proxy/observer.ts'
import { buildSnapshot, type BuildDeps } from './runtime/build.ts'
import { Runtime } from './runtime/runtime.ts'
import type { Snapshot } from './runtime/snapshot.ts'

const log = logger.child({ module: 'app' })

/**
 * Build dependencies shared by the live build and `-t`; `adminMounts` serves the `admin` plugin
 * (absent for `-t` and cluster workers, where that plugin answers 503).
 */
export function buildDeps(
  loaded?: LoadedConfig,
  adminMounts?: () => AdminMountFactory | undefined,
): BuildDeps {
  return {
    registry: createBuiltinRegistry(adminMounts !== undefined ? { adminMounts } : {}),
    builtinPlugins: BUILTIN_PLUGIN_TABLES,
    checkServer: checkAccessLog,
    ...(loaded !== undefined ? { sources: loaded.sources } : {}),
  }
}

/** Validates everything start-up would (`-t`): parse, then a dry-run build that starts nothing. */
export async function checkConfig(store: ConfigStore): Promise<Snapshot> {
  return checkLoadedSnapshot(await store.load())
}

async function checkLoadedSnapshot(loaded: LoadedConfig): Promise<Snapshot> {
  const config = parseConfig(loaded)
  checkObservability(config)
  const snapshot = buildSnapshot(config, undefined, 0, buildDeps(loaded))
  await Promise.allSettled([...snapshot.upstreams.values()].map((u) => u.close()))
  return snapshot
}

/** The same checks on a document already loaded (the admin API's dry run of a candidate). */
export async function checkLoaded(loaded: LoadedConfig): Promise<PingapConfig> {
  return (await checkLoadedSnapshot(loaded)).config
}

export interface AppOptions {
  readonly store: ConfigStore
  readonly autoreload: boolean
  /** The version log to continue (the admin server's persisted history). */
  readonly versions?: VersionLog
  /** Start with an empty config when the stored one is broken (`--admin`, spec §9). */
  readonly startEmptyOnError?: boolean
  /** `--cp`: control plane only (config, versions, ACME, admin); no proxy listener, no probe. */
  readonly controlOnly?: boolean
  /** The admin server's audit log, shared with `admin` plugins on locations. */
  readonly audit?: AuditLog
}

/** The config to start with: the stored one, or with `startEmptyOnError` an empty one. */
async function initialConfig(
  options: AppOptions,
): Promise<{ loaded: LoadedConfig; config: PingapConfig; broken: boolean }> {
  try {
    const loaded = await options.store.load()
    const config = parseConfig(loaded)
    if (options.startEmptyOnError === true) await checkLoadedSnapshot(loaded)
    return { loaded, config, broken: false }
  } catch (err) {
    if (options.startEmptyOnError !== true) throw err
    log.error('the config is invalid; starting with an empty config so the admin can repair it', {
      err,
    })
    const loaded: LoadedConfig = { raw: {}, sources: new Map() }
    return { loaded, config: parseConfig(loaded), broken: true }
  }
}

export class App {
  readonly runtime: Runtime
  readonly listeners: Listeners
  readonly pipeline: ConfigPipeline
  readonly versions: VersionLog
  readonly observability: Observability
  readonly #health: HealthMonitors
  readonly #observer: RequestObserver
  readonly #store: ConfigStore
  readonly #watch = new AbortController()
  readonly #certificates: CertificateService
  #adminMounts: Promise<AdminMountFactory> | undefined
  #audit: AuditLog | undefined
  /** etcd mode: this node's leased status key (docs/cluster.md). */
  nodes: NodeReporter | undefined
  #stopping: Promise<void> | undefined
  #controlOnly = false

  private constructor(
    runtime: Runtime,
    listeners: Listeners,
    versions: VersionLog,
    health: HealthMonitors,
    observer: RequestObserver,
    store: ConfigStore,
    observability: Observability,
  ) {
    this.runtime = runtime
    this.listeners = listeners
    this.versions = versions
    this.#health = health
    this.#observer = observer
    this.#store = store
    this.observability = observability
    const dataPlane: DataPlane = {
      publish: (version, loaded) => this.#publish(version, loaded),
    }
    this.pipeline = new ConfigPipeline({
      store,
      versions,
      dataPlane,
      events: observability.pipelineEvents,
      preparer: preparerFor(store, runtime.current.config),
    })
    this.#certificates = new CertificateService({
      store,
      config: () => runtime.current.config,
      certificates: () => runtime.current.tls,
      reload: (source) => this.pipeline.run(source),
    })
  }

  /** Loads the config, opens every listener and starts health checks (and the watcher). */
  static async start(options: AppOptions): Promise<App> {
    const { loaded, config, broken } = await initialConfig(options)
    configureLogger({ level: config.basic.log_level, json: config.basic.log_format_json })
    const versions = options.versions ?? new VersionLog()
    // `admin` plugins get their handler from the App, which exists only after the first build.
    const late: { app?: App } = {}
    const mounts = (): AdminMountFactory | undefined => late.app?.adminMounts()
    const runtime = Runtime.create(buildDeps(loaded, mounts), config, versions.numberFor(config))
    const observability = new Observability()
    const { metrics, tracing } = observability
    const observer = createRequestObserver({ metrics, tracing })
    const listeners = new Listeners(runtime, observer)
    const health = new HealthMonitors((u, a, h) => observability.healthFlipped(u, a, h))
    const app = new App(
      runtime,
      listeners,
      versions,
      health,
      observer,
      options.store,
      observability,
    )
    app.#audit = options.audit
    app.#controlOnly = options.controlOnly === true
    late.app = app
    try {
      await observability.apply(runtime.current)
      if (!app.#controlOnly) await listeners.sync(runtime.current)
    } catch (err) {
      await app.shutdown()
      throw err
    }
    if (!app.#controlOnly) health.sync(runtime.current)
    app.#certificates.start()
    versions.record(config, 'startup')
    app.#reportNode(options.store)
    if (options.autoreload) app.#watchStore()
    // Records why the stored config was not used (admin status, log at error level).
    if (broken) await app.pipeline.run('startup')
    log.info('pingap-ts started', { version: runtime.current.version })
    return app
  }

  async #publish(version: ConfigVersion, loaded: PublishedFrom): Promise<void> {
    checkObservability(version.config)
    const result = await this.runtime.applyInSlices(
      version.config,
      version.number,
      buildHints(version, loaded),
    )
    if (!result.changed) return
    configureLogger({
      level: version.config.basic.log_level,
      json: version.config.basic.log_format_json,
    })
    await this.observability.apply(this.runtime.current)
    if (!this.#controlOnly) {
      await this.listeners.sync(this.runtime.current)
      this.#health.sync(this.runtime.current)
    }
    this.#certificates.published()
  }

  #reportNode(store: ConfigStore): void {
    if (!(store instanceof EtcdConfigStore)) return
    const addresses = (): string[] =>
      [...this.listeners.addresses()].flatMap(([server, list]) => list.map((a) => `${server}=${a}`))
    const reporter = new NodeReporter(store, {
      listeners: addresses,
      applied: () => ({
        version: this.runtime.current.version,
        hash: this.runtime.current.config.hash,
      }),
      rejection: () => this.pipeline.lastRejection,
    })
    this.pipeline.subscribe({ applied: () => reporter.report(), rejected: () => reporter.report() })
    reporter.start()
    this.nodes = reporter
  }

  #watchStore(): void {
    const loop = async (): Promise<void> => {
      for await (const _ of this.#store.watch(this.#watch.signal)) {
        await this.pipeline.run('file-change')
      }
    }
    loop().catch((err: unknown) => log.error('config watcher stopped', { err }))
  }

  /** The config of the version being served. */
  get config(): PingapConfig {
    return this.runtime.current.config
  }

  /**
   * The handler factory of `admin` plugins on locations. The admin code is imported on a mount's
   * first request, so a process without such a plugin does not load it.
   */
  adminMounts(): AdminMountFactory {
    return (options) => {
      const mount = this.#loadAdminMounts().then((factory) => factory(options))
      return async (ctx) => (await mount)(ctx)
    }
  }

  #loadAdminMounts(): Promise<AdminMountFactory> {
    this.#adminMounts ??= import('./admin/mount.ts').then(({ createAdminMounts }) =>
      createAdminMounts({
        host: {
          store: this.#store,
          versions: this.versions,
          pipeline: this.pipeline,
          check: checkLoaded,
          status: this.statusSource(),
          pluginCategories: buildDeps().registry.categories(),
        },
        ...(this.#audit !== undefined ? { audit: this.#audit } : {}),
      }),
    )
    return this.#adminMounts
  }

  /** What the admin status shows about this process's data plane. */
  statusSource(): RuntimeStatusSource {
    return () => runtimeStatus(this.runtime.current, this.listeners.addresses())
  }

  /** Re-reads the config (SIGHUP, admin, tests). */
  reload(source = 'sighup'): Promise<PipelineResult> {
    return this.pipeline.run(source)
  }

  /** Graceful stop: no new connections, in-flight requests finish within the grace period. */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      const snapshot = this.runtime.current
      this.#watch.abort()
      this.#health.stopAll()
      this.#certificates.stop()
      await this.nodes?.stop()
      await this.listeners.shutdown(snapshot.graceMs, snapshot.shutdownTimeoutMs)
      await this.runtime.close()
      await this.observability.close()
      await this.#observer.close()
      await this.#store.close()
      await this.pipeline.close()
    })()
    return this.#stopping
  }
}
