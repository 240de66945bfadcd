/**
 * Wiring of the admin server: where history and audit live, the services handlers use, the
 * event stream fed by the version log, the pipeline and the audit log. The composition root
 * (cli.ts) calls {@link openAdminData} before the App starts (so versions continue the stored
 * history) and {@link startAdmin} once it runs.
 */
import { dirname, join } from 'node:path'
import { parseFileUrl } from '../config/file-store.ts'
import { EtcdConfigStore } from '../config/etcd-store.ts'
import type { ConfigStore } from '../config/store.ts'
import { listNodes, type NodeStatus } from '../control/node-status.ts'
import type { LoadedConfig, PingapConfig } from '../config/types.ts'
import { AuditLog } from '../control/audit.ts'
import { HistoryStore } from '../control/history.ts'
import type { PipelineResult, PipelineEvents } from '../control/pipeline.ts'
import type { RuntimeStatusSource } from '../control/status.ts'
import { VersionLog, versionMeta, type ConfigVersion } from '../control/versions.ts'
import { logger } from '../core/logger.ts'
import { UiAssets } from './assets.ts'
import { Authenticator } from './auth.ts'
import type { AdminContext } from './context.ts'
import { EventHub } from './events.ts'
import { hostContext, hostEditor } from './host-context.ts'
import { FailureLimiter } from './lockout.ts'
import { AdminServer } from './server.ts'
import { SessionStore } from './sessions.ts'
import { AdminSpecError, type AdminSpec } from './spec.ts'
import { UserDirectory } from './users.ts'

const log = logger.child({ module: 'admin' })

/** Sources of versions the admin editor audits itself. */
const ADMIN_SOURCES = new Set(['admin-api', 'ui', 'import', 'rollback'])

/** The version log and audit log of a process with an admin server. */
export interface AdminData {
  readonly versions: VersionLog
  readonly audit: AuditLog
  /** Where history and audit are kept; undefined when only in memory. */
  readonly dir: string | undefined
}

/**
 * The data directory of a config: `PINGAP_DATA_DIR`, else `.pingap-ts/` inside the config
 * directory (or beside a single config file). Hidden, so the config store never reads it.
 * Undefined for configs that are not files (memory, quick start, etcd).
 */
export function dataDirFor(
  storeUrl: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const fromEnv = env['PINGAP_DATA_DIR']
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(storeUrl) && !storeUrl.startsWith('file://')) return undefined
  if (storeUrl === 'quick-start') return undefined
  const { path, layout } = parseFileUrl(storeUrl)
  return join(layout === 'single' ? dirname(path) : path, '.pingap-ts')
}

function positive(text: string | undefined, fallback: number): number {
  const n = Number(text)
  return text !== undefined && Number.isSafeInteger(n) && n > 0 ? n : fallback
}

/** Opens (creating) the history and audit stores; falls back to memory if the disk refuses. */
export function openAdminData(storeUrl: string, env: NodeJS.ProcessEnv = process.env): AdminData {
  const dir = dataDirFor(storeUrl, env)
  if (dir === undefined) return { versions: new VersionLog(), audit: new AuditLog(), dir }
  try {
    const history = new HistoryStore({
      dir: join(dir, 'history'),
      maxVersions: positive(env['PINGAP_HISTORY_MAX_VERSIONS'], 200),
      maxAgeDays: positive(env['PINGAP_HISTORY_MAX_DAYS'], 90),
    })
    const audit = new AuditLog({
      dir: join(dir, 'audit'),
      maxMonths: positive(env['PINGAP_AUDIT_MAX_MONTHS'], 12),
    })
    return { versions: new VersionLog({ history }), audit, dir }
  } catch (err) {
    log.error('cannot open the admin data directory; history and audit stay in memory', {
      dir,
      err,
    })
    return { versions: new VersionLog(), audit: new AuditLog(), dir: undefined }
  }
}

/** What the admin server needs from the process it runs in. */
export interface AdminHost {
  readonly store: ConfigStore
  readonly versions: VersionLog
  readonly pipeline: {
    run(source: string): Promise<PipelineResult>
    exclusive<T>(work: () => Promise<T>): Promise<T>
    readonly lastRejection: { at: string; errors: readonly string[] } | undefined
    subscribe(events: PipelineEvents): () => void
  }
  /** Parse + dry-run build; throws ConfigErrors. */
  readonly check: (loaded: LoadedConfig) => Promise<PingapConfig>
  readonly status: RuntimeStatusSource
  readonly pluginCategories: readonly string[]
}

export interface StartAdminOptions {
  readonly spec: AdminSpec
  readonly host: AdminHost
  readonly audit: AuditLog
  /** Directory of the built UI (default: the build output or the SEA assets). */
  readonly uiDir?: string
}

/** A running admin server and what stops it. */
export interface RunningAdmin {
  readonly server: AdminServer
  close(): Promise<void>
}

function feedEvents(host: AdminHost, audit: AuditLog, events: EventHub): () => void {
  const onVersion = (version: ConfigVersion): void => {
    events.publish('version.published', versionMeta(version))
    if (ADMIN_SOURCES.has(version.source)) return
    const author = version.author ?? { id: 'system', kind: 'system' as const }
    audit.append({
      actor: author.id,
      actorKind: author.kind,
      action: 'config.publish',
      source: version.source,
      version: version.number,
      changes: version.changes,
      result: 'ok',
    })
  }
  const offVersion = host.versions.onRecord(onVersion)
  const offPipeline = host.pipeline.subscribe({
    rejected: (errors) => {
      events.publish('version.rejected', { at: new Date().toISOString(), errors })
      audit.append({
        actor: 'file',
        actorKind: 'file',
        action: 'config.rejected',
        result: 'rejected',
        detail: errors.join('; ').slice(0, 2000),
      })
    },
  })
  const offAudit = audit.onAppend((entry) => events.publish('audit', entry))
  return () => {
    offVersion()
    offPipeline()
    offAudit()
  }
}

// The admin server keeps its own socket: an address a server already uses is refused with a
// clear message instead of a bind error (docs/admin.md, "Differences from Pingap").
function checkOwnAddress(spec: AdminSpec, servers: Readonly<Record<string, { addr: string }>>) {
  if (spec.port === 0) return
  for (const [name, server] of Object.entries(servers)) {
    for (const addr of server.addr.split(',')) {
      if (addr.trim().toLowerCase() === spec.addr.toLowerCase()) {
        throw new AdminSpecError(
          `the admin address ${spec.addr} is servers.${name}.addr; give the admin server its own address`,
        )
      }
    }
  }
}

// The node list of the status endpoint in etcd mode; empty while etcd cannot be reached.
function etcdNodes(store: EtcdConfigStore): () => Promise<readonly NodeStatus[]> {
  return () => listNodes(store).catch(() => [])
}

/** Builds and binds the admin server. */
export async function startAdmin(options: StartAdminOptions): Promise<RunningAdmin> {
  const { spec, host, audit } = options
  const users = new UserDirectory(spec.users, () => host.versions.current?.config.basic.admin_users)
  // Pingap runs an admin without credentials wide open; pingap-ts refuses to (docs/admin.md).
  if (users.isEmpty) {
    throw new AdminSpecError(
      'the admin server needs a user: user:pass@addr, PINGAP_ADMIN_USER and PINGAP_ADMIN_PASSWORD, or basic.admin_users',
    )
  }
  checkOwnAddress(spec, host.versions.current?.config.servers ?? {})
  const sessions = new SessionStore(spec.maxAgeMs)
  const events = new EventHub()
  const editor = hostEditor(host, audit)
  const context: AdminContext = {
    ...hostContext(host, { editor, audit, events, sessions, users, mount: spec.mount }),
    ...(host.store instanceof EtcdConfigStore ? { nodes: etcdNodes(host.store) } : {}),
  }
  const server = new AdminServer({
    spec,
    context,
    auth: new Authenticator(users, sessions, spec.maxAgeMs),
    limiter: new FailureLimiter(spec.ipFailLimit),
    assets: await UiAssets.load(options.uiDir),
  })
  await server.listen()
  const unfeed = feedEvents(host, audit, events)
  return {
    server,
    async close() {
      unfeed()
      await server.close()
    },
  }
}
