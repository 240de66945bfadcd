/**
 * The command line (spec §9): argv and PINGAP_* environment fallbacks → what to run.
 * Exit codes: 0 success, 1 config or start-up error, 2 usage error (decisions §7).
 */
// First: the V8 flag must be off before any config object is allocated.
import './core/gc-flags.ts'
import cluster from 'node:cluster'
import { writeFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'
import { AdminSpecError, resolveAdminSpec, type AdminSpec } from './admin/spec.ts'
import type { RunningAdmin } from './admin/start.ts'
import { App, buildDeps, checkConfig, checkLoaded } from './app.ts'
import { Primary } from './cluster/primary.ts'
import { configuredThreads, parseThreads, threadCount } from './cluster/threads.ts'
import { runWorker } from './cluster/worker.ts'
import { redact } from './config/etcd-store.ts'
import { ineffectiveNotes } from './config/ineffective.ts'
import { openConfigStore, type ConfigStore } from './config/store.ts'
import { MemoryConfigStore } from './config/memory-store.ts'
import { TEMPLATE_TOML } from './config/template.ts'
import { ConfigErrors, ConfigError } from './core/errors.ts'
import { logger, setLogDestination } from './core/logger.ts'
import { VERSION } from './core/version.ts'
import { errorMessages, type ConfigPipeline } from './control/pipeline.ts'
import type { RuntimeStatusSource } from './control/status.ts'
import { syncStores } from './control/sync.ts'
import type { AuditLog } from './control/audit.ts'
import type { VersionLog } from './control/versions.ts'
import type { PingapConfig } from './config/types.ts'
import {
  acmeStateFile,
  findCertificateFiles,
  quickStartToml,
  type QuickStartOptions,
} from './quick-start.ts'
import { QuickStartStore } from './quick-start-store.ts'

const log = logger.child({ module: 'cli' })

interface CliOptions {
  conf?: string
  test?: boolean
  autoreload?: boolean
  log?: string
  template?: boolean
  upstream?: string
  domain?: string
  addr?: string
  cert?: string
  key?: string
  threads?: string
  admin?: string
  sync?: string
  cp?: boolean
}

function program(): Command {
  return new Command('pingap-ts')
    .description('A reverse proxy configured by Pingap-style TOML')
    .version(VERSION, '-V, --version')
    .option(
      '-c, --conf <url>',
      'config file, directory (…?separation=true) or etcd URL [env PINGAP_CONF]',
    )
    .option('-t, --test', 'validate the config (as start-up would) and exit')
    .option('--autoreload', 'watch the config and apply changes live [env PINGAP_AUTORELOAD]')
    .option('--log <dest>', 'application log file (default stderr) [env PINGAP_LOG]')
    .option('--template', 'print a starter config and exit')
    .option('--upstream <list>', 'quick start: comma-separated backends, no config file')
    .option('--domain <list>', 'quick start: comma-separated host names to serve')
    .option('--addr <addr>', 'quick start: listen address (default 0.0.0.0:443 with TLS, else :80)')
    .option(
      '--cert <file|dir>',
      'quick start: certificate file, or a directory holding fullchain.pem…',
    )
    .option(
      '--key <file>',
      'quick start: private key (default: privkey.pem… next to the certificate)',
    )
    .option('--threads <n>', 'worker processes (0 = CPU count; default basic.threads, else 1)')
    .option('--sync <url>', 'copy the config (-c) into another store (file or etcd URL) and exit')
    .option('--cp', 'control panel only: the admin server, no proxy listeners [env PINGAP_CP]')
    .addOption(
      new Option(
        '--admin <spec>',
        'admin server: [user:pass@]ip:port[/path] (docs/admin.md) [env PINGAP_ADMIN_ADDR]',
      ),
    )
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      writeOut: (s) => process.stdout.write(s),
    })
    .allowExcessArguments(false)
}

function resolveStore(opts: CliOptions): ConfigStore {
  if (opts.upstream !== undefined) {
    if (opts.conf !== undefined)
      throw new UsageError('--upstream and --conf cannot be used together')
    return quickStartStore({ ...opts, upstream: opts.upstream })
  }
  if ([opts.domain, opts.addr, opts.cert, opts.key].some((o) => o !== undefined)) {
    throw new UsageError('--domain, --addr, --cert and --key need --upstream')
  }
  const conf = opts.conf ?? process.env['PINGAP_CONF']
  if (conf === undefined || conf === '') {
    throw new UsageError('a config is required: -c <file|dir|url> (or --upstream for quick start)')
  }
  return openConfigStore(conf)
}

class UsageError extends Error {}

/** The store of quick start: TLS from files, ACME when only `--domain` is given, else plain. */
function quickStartStore(opts: QuickStartOptions): ConfigStore {
  if (opts.key !== undefined && opts.cert === undefined) throw new UsageError('--key needs --cert')
  if (opts.cert !== undefined) {
    let files: { cert: string; key: string }
    try {
      files = findCertificateFiles(opts.cert, opts.key)
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err))
    }
    const toml = quickStartToml(opts, { kind: 'files', ...files })
    return new MemoryConfigStore({ 'pingap.toml': toml }, 'quick-start')
  }
  if (opts.domain !== undefined && opts.domain.trim() !== '') {
    return new QuickStartStore(opts, acmeStateFile(opts.domain))
  }
  return new MemoryConfigStore(
    { 'pingap.toml': quickStartToml(opts, { kind: 'none' }) },
    'quick-start',
  )
}

function printConfigErrors(err: unknown): void {
  for (const message of errorMessages(err)) process.stderr.write(`error: ${message}\n`)
}

/** `--sync <url>`: the target ends up with exactly the items of the `-c` store. */
async function runSync(store: ConfigStore, url: string): Promise<number> {
  const target = openConfigStore(url)
  try {
    const { written, deleted } = await syncStores(store, target)
    process.stdout.write(
      `synced ${store.url} to ${redact(target.url)}: ${written} items written, ${deleted} deleted\n`,
    )
    return 0
  } finally {
    await target.close()
  }
}

async function runTest(store: ConfigStore): Promise<number> {
  const snapshot = await checkConfig(store)
  const c = snapshot.config
  for (const note of ineffectiveNotes(c)) process.stdout.write(`note: ${note}\n`)
  process.stdout.write(
    `config ${store.url} is valid: ${Object.keys(c.servers).length} servers, ` +
      `${Object.keys(c.locations).length} locations, ${Object.keys(c.upstreams).length} upstreams, ` +
      `${Object.keys(c.plugins).length} plugins\n`,
  )
  return 0
}

/** What the signals drive: the single-process App or the cluster Primary. */
interface Service {
  reload(source: string): Promise<unknown>
  shutdown(): Promise<void>
  /** Rolling restart of the workers (SIGUSR2); cluster only. */
  restart?(): Promise<void>
}

function waitForSignals(app: Service, pidFile: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    process.on('SIGHUP', () => {
      void app.reload('sighup')
    })
    const restart = app.restart?.bind(app)
    if (restart !== undefined) process.on('SIGUSR2', () => void restart())
    let stopping = false
    const stop = (signal: string): void => {
      if (stopping) {
        log.warn('second signal, exiting now', { signal })
        process.exit(1)
      }
      stopping = true
      log.info('shutting down', { signal })
      app.shutdown().then(
        () => resolve(0),
        (err: unknown) => {
          log.error('shutdown failed', { err })
          resolve(1)
        },
      )
    }
    process.on('SIGTERM', () => stop('SIGTERM'))
    process.on('SIGINT', () => stop('SIGINT'))
    if (pidFile !== undefined && pidFile !== '') writeFileSync(pidFile, `${process.pid}\n`)
  })
}

async function run(opts: CliOptions): Promise<number> {
  if (opts.template === true) {
    process.stdout.write(TEMPLATE_TOML)
    return 0
  }
  const logDest = opts.log ?? process.env['PINGAP_LOG']
  if (logDest !== undefined) setLogDestination(logDest)
  // node:cluster re-executes this binary with the same arguments for each worker.
  if (cluster.isWorker) return await runWorker({ buildDeps })
  const threadsOption = opts.threads === undefined ? undefined : parseThreads(opts.threads)
  if (opts.threads !== undefined && threadsOption === undefined) {
    throw new UsageError(`--threads must be a non-negative integer (got "${opts.threads}")`)
  }
  const store = resolveStore(opts)
  if (opts.test === true) return await runTest(store)
  if (opts.sync !== undefined) return await runSync(store, opts.sync)
  const adminSpec = resolveAdminSpec(opts.admin)
  const autoreload = opts.autoreload === true || (process.env['PINGAP_AUTORELOAD'] ?? '') !== ''
  if (opts.cp === true || (process.env['PINGAP_CP'] ?? '') !== '') {
    if (adminSpec === undefined) throw new UsageError('--cp needs --admin')
    const start = (versions: VersionLog, audit: AuditLog) =>
      App.start({ store, autoreload, versions, audit, startEmptyOnError: true, controlOnly: true })
    return await runWithAdmin(store, adminSpec, start)
  }
  // A store that does not load is reported by the start below (or repaired through --admin).
  const threads = threadsOption ?? (await configuredThreads(store).catch(() => undefined))
  if (threadCount(threads) > 1) {
    const start = (versions?: VersionLog) =>
      Primary.start({ store, autoreload, threads: threadsOption, buildDeps, versions })
    if (adminSpec !== undefined) return await runWithAdmin(store, adminSpec, start)
    const primary = await start()
    return await waitForSignals(primary, primary.config.basic.pid_file)
  }
  if (adminSpec !== undefined) {
    // `admin` plugins on locations write to the same audit log as the admin server.
    const start = (versions: VersionLog, audit: AuditLog) =>
      App.start({ store, autoreload, versions, audit, startEmptyOnError: true })
    return await runWithAdmin(store, adminSpec, start)
  }
  const app = await App.start({ store, autoreload })
  return await waitForSignals(app, app.runtime.current.config.basic.pid_file)
}

/** The control plane the admin server drives: the single-process App or the cluster Primary. */
interface ControlPlane extends Service {
  readonly versions: VersionLog
  readonly pipeline: ConfigPipeline
  readonly config: PingapConfig
  statusSource(): RuntimeStatusSource
}

/**
 * The admin server (spec §7) beside the control plane, in this process (threads = 1) or in the
 * cluster primary: history and audit kept beside the config.
 */
async function runWithAdmin(
  store: ConfigStore,
  spec: AdminSpec,
  startControl: (versions: VersionLog, audit: AuditLog) => Promise<ControlPlane>,
) {
  // The admin server (31 modules) is loaded only when --admin asks for it: idle RSS (issue 4).
  const { openAdminData, startAdmin } = await import('./admin/start.ts')
  const data = openAdminData(store.url)
  const app = await startControl(data.versions, data.audit)
  let admin: RunningAdmin
  try {
    admin = await startAdmin({
      spec,
      audit: data.audit,
      host: {
        store,
        versions: app.versions,
        pipeline: app.pipeline,
        check: checkLoaded,
        status: app.statusSource(),
        pluginCategories: buildDeps().registry.categories(),
      },
    })
  } catch (err) {
    await app.shutdown()
    throw err
  }
  const restart = app.restart?.bind(app)
  const service: Service = {
    reload: (source) => app.reload(source),
    shutdown: async () => {
      await admin.close()
      await app.shutdown()
    },
    ...(restart !== undefined ? { restart } : {}),
  }
  return await waitForSignals(service, app.config.basic.pid_file)
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const command = program()
  try {
    command.parse([...argv], { from: 'user' })
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' ? 0 : 2
    }
    throw err
  }
  try {
    return await run(command.opts<CliOptions>())
  } catch (err) {
    if (err instanceof UsageError || err instanceof AdminSpecError) {
      process.stderr.write(`error: ${err.message}\n`)
      return 2
    }
    if (err instanceof ConfigErrors || err instanceof ConfigError) {
      printConfigErrors(err)
      return 1
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}
