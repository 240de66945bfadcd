/**
 * The one write path of the admin API (architecture §2.10, control-plane.md §3.1): inside one
 * lock, check the precondition against the running version, read the store, apply the item
 * changes to that document, validate the whole candidate (parse + dry-run build), and only then
 * save each item (atomic per-item files) and run the config pipeline. If the pipeline does not
 * apply the change after all (a listener cannot bind, say), the saved items are put back. Every
 * attempt is audited.
 */
import { EtcdConfigStore, RevisionConflictError } from '../config/etcd-store.ts'
import { parseConfig } from '../config/parse.ts'
import type { ConfigStore } from '../config/store.ts'
import type { LoadedConfig, PingapConfig, RawTable } from '../config/types.ts'
import type { AuditAction, AuditLog } from '../control/audit.ts'
import type { PipelineResult } from '../control/pipeline.ts'
import type { ConfigVersion, VersionAuthor, VersionLog } from '../control/versions.ts'
import { canonicalJson } from '../core/hash.ts'
import { logger } from '../core/logger.ts'
import type { Principal } from './auth.ts'
import { applyChanges, itemOf, saveOrder, type ItemChange } from './candidate.ts'
import { changeEntries, restartNeeded, type ChangeEntry } from './diff.ts'
import { AdminError, InvalidConfig } from './errors.ts'
import { globalEtag } from './etag.ts'
import { issuesOf, issuesOfMessages, type ValidationIssue } from './issues.ts'
import { referenceIssues } from './references.ts'

const log = logger.child({ module: 'admin' })

/** What the editor needs from the process it runs in. */
export interface EditorDeps {
  readonly store: ConfigStore
  readonly versions: VersionLog
  readonly pipeline: {
    run(source: string): Promise<PipelineResult>
    /** Runs `work` with no pipeline run in between (a watcher never reads half a write). */
    exclusive<T>(work: () => Promise<T>): Promise<T>
  }
  /** Parse + dry-run build of a candidate; throws ConfigErrors (nothing is started). */
  readonly check: (loaded: LoadedConfig) => Promise<PingapConfig>
  readonly audit: AuditLog
}

/** Who writes, from where, and why. */
export interface WriteContext {
  readonly principal: Principal
  readonly ip: string
  readonly requestId?: string
  /** `admin-api`, `ui`, `import` or `rollback`. */
  readonly source: string
  readonly action: AuditAction
  readonly message?: string
  readonly rollbackOf?: number
}

/** Turns the store's document and the running version into the changes to make. */
export type ChangePlan = (loaded: LoadedConfig, current: ConfigVersion) => readonly ItemChange[]

/** A write: its precondition check (throws 412/428) and its plan. */
export interface WriteRequest {
  readonly precondition: (current: ConfigVersion) => void
  readonly plan: ChangePlan
}

export interface ValidateResult {
  readonly valid: boolean
  readonly issues: readonly ValidationIssue[]
  readonly diff: readonly ChangeEntry[]
  readonly requiresRestart: readonly string[]
}

export interface CommitResult {
  readonly status: 'applied' | 'unchanged'
  readonly version: ConfigVersion
  readonly diff: readonly ChangeEntry[]
  readonly requiresRestart: readonly string[]
}

interface Evaluation {
  readonly config: PingapConfig | undefined
  readonly issues: ValidationIssue[]
}

function authorOf(ctx: WriteContext): VersionAuthor {
  const kind = ctx.principal.via === 'bearer' ? 'token' : 'user'
  return { id: ctx.principal.user, kind, ip: ctx.ip }
}

export class ConfigEditor {
  readonly #deps: EditorDeps
  #lock: Promise<unknown> = Promise.resolve()

  constructor(deps: EditorDeps) {
    this.#deps = deps
  }

  /** The running version (the editor is only built once one exists). */
  current(): ConfigVersion {
    const current = this.#deps.versions.current
    if (current === undefined) throw new Error('no config version is running')
    return current
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(work)
    this.#lock = run.catch(() => undefined)
    return run
  }

  async #load(): Promise<LoadedConfig> {
    try {
      return await this.#deps.store.load()
    } catch (err) {
      throw new InvalidConfig(issuesOf(err))
    }
  }

  async #evaluate(loaded: LoadedConfig, changes: readonly ItemChange[]): Promise<Evaluation> {
    const raw = applyChanges(loaded.raw, changes)
    const refs = changes
      .filter((c) => c.value === undefined)
      .flatMap((c) => referenceIssues(raw, c.category, c.name))
    if (refs.length > 0) return { config: undefined, issues: refs }
    try {
      return { config: await this.#deps.check({ raw, sources: loaded.sources }), issues: [] }
    } catch (err) {
      return { config: undefined, issues: issuesOf(err) }
    }
  }

  /** Validates a write without saving anything (the dry run of `POST /config/validate`). */
  async validate(plan: ChangePlan): Promise<ValidateResult> {
    const current = this.current()
    const loaded = await this.#load()
    const { config, issues } = await this.#evaluate(loaded, plan(loaded, current))
    const diff = config === undefined ? [] : changeEntries(current.config, config)
    return { valid: issues.length === 0, issues, diff, requiresRestart: restartNeeded(diff) }
  }

  /** Validates, persists and applies a write; throws AdminError (412, 422, 428) otherwise. */
  commit(request: WriteRequest, ctx: WriteContext): Promise<CommitResult> {
    return this.#exclusive(() => this.#commit(request, ctx))
  }

  async #commit(request: WriteRequest, ctx: WriteContext): Promise<CommitResult> {
    const current = this.current()
    try {
      request.precondition(current)
    } catch (err) {
      if (err instanceof AdminError && err.status === 412) {
        this.#audit(ctx, 'conflict', { baseVersion: current.number, detail: err.message })
      }
      throw err
    }
    const loaded = await this.#load()
    const base = this.#etcdBase(loaded, current, ctx)
    const changes = saveOrder(request.plan(loaded, current))
    const { config, issues } = await this.#evaluate(loaded, changes)
    if (config === undefined) {
      this.#audit(ctx, 'rejected', { detail: issues.map((i) => i.message).join('; ') })
      throw new InvalidConfig(issues)
    }
    const diff = changeEntries(current.config, config)
    this.#deps.versions.expect(config.hash, {
      author: authorOf(ctx),
      source: ctx.source,
      ...(ctx.message !== undefined ? { message: ctx.message } : {}),
      ...(ctx.rollbackOf !== undefined ? { rollbackOf: ctx.rollbackOf } : {}),
    })
    const previous = changes.map((c) => ({ ...c, value: itemOf(loaded.raw, c.category, c.name) }))
    try {
      await this.#save(changes, base)
    } catch (err) {
      this.#deps.versions.forget(config.hash)
      // Nothing was written: another node's publish won the etcd transaction.
      if (err instanceof RevisionConflictError) throw this.#conflict(ctx, current, err.message)
      this.#audit(ctx, 'error', { detail: err instanceof Error ? err.message : String(err) })
      throw err instanceof AdminError ? err : new InvalidConfig(issuesOf(err))
    }
    try {
      const result = await this.#deps.pipeline.run(ctx.source)
      const applied = this.#deps.versions.current
      if (applied === undefined || !this.#contains(applied.config, config, changes)) {
        throw new InvalidConfig(
          result.status === 'rejected'
            ? issuesOfMessages(result.errors)
            : issuesOfMessages(['the change was not applied']),
        )
      }
      const status = applied.number === current.number ? 'unchanged' : 'applied'
      this.#audit(ctx, 'ok', { version: applied.number, changes: applied.changes })
      return { status, version: applied, diff, requiresRestart: restartNeeded(diff) }
    } catch (err) {
      this.#deps.versions.forget(config.hash)
      await this.#restore(previous)
      this.#audit(ctx, 'error', { detail: err instanceof Error ? err.message : String(err) })
      throw err instanceof AdminError ? err : new InvalidConfig(issuesOf(err))
    }
  }

  // True when every changed item of `wanted` is in `running` as the candidate had it (another
  // change coalesced into the same pipeline run does not count against it).
  #contains(running: PingapConfig, wanted: PingapConfig, changes: readonly ItemChange[]): boolean {
    return changes.every(
      (c) =>
        canonicalJson(itemOf(running, c.category, c.name) ?? null) ===
        canonicalJson(itemOf(wanted, c.category, c.name) ?? null),
    )
  }

  /**
   * etcd mode: the revision the write is based on. The store must still hold what this node
   * runs (another node may have published a version this node has not applied yet); the save
   * then only succeeds if nothing changed in etcd after that revision (one transaction).
   */
  #etcdBase(loaded: LoadedConfig, current: ConfigVersion, ctx: WriteContext): number | undefined {
    const store = this.#deps.store
    if (!(store instanceof EtcdConfigStore)) return undefined
    // Read from the local copy (etcd unreachable): the save itself fails and says so.
    const revision = store.revisionOf(loaded)
    if (revision === undefined) return undefined
    let stored: string | undefined
    try {
      stored = parseConfig(loaded).hash
    } catch {
      // A broken stored config (the admin is repairing it): nothing to compare with.
    }
    if (stored !== undefined && stored !== current.hash) {
      throw this.#conflict(ctx, current, 'the config in etcd changed (another node published)')
    }
    return revision
  }

  #conflict(ctx: WriteContext, current: ConfigVersion, detail: string): AdminError {
    this.#audit(ctx, 'conflict', { baseVersion: current.number, detail })
    return new AdminError('PGT_ERR_CONFIG_CONFLICT', [String(current.number)], {
      detail,
      current: { version: current.number, etag: globalEtag(current) },
    })
  }

  async #save(changes: readonly ItemChange[], base?: number): Promise<void> {
    const store = this.#deps.store
    if (store instanceof EtcdConfigStore) {
      // One transaction for every item: no node ever reads half of the write.
      await this.#deps.pipeline.exclusive(() => store.publish(changes, base))
      return
    }
    await this.#deps.pipeline.exclusive(async () => {
      for (const { category, name, value } of changes) {
        await this.#deps.store.save(category, name, value)
      }
    })
  }

  // Puts the store back as it was and lets the pipeline see it (nothing changes if the running
  // version never moved). Best effort: a failure here is logged, the original error reported.
  async #restore(previous: ReadonlyArray<ItemChange & { value: RawTable | undefined }>) {
    try {
      await this.#save(saveOrder(previous))
      await this.#deps.pipeline.run('admin-restore')
    } catch (err) {
      log.error('could not restore the config files after a failed admin write', { err })
    }
  }

  #audit(
    ctx: WriteContext,
    result: 'ok' | 'rejected' | 'conflict' | 'error',
    extra: { version?: number; baseVersion?: number; changes?: readonly string[]; detail?: string },
  ): void {
    this.#deps.audit.append({
      actor: ctx.principal.user,
      actorKind: ctx.principal.via === 'bearer' ? 'token' : 'user',
      ip: ctx.ip,
      ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
      action:
        result === 'conflict'
          ? 'config.conflict'
          : result === 'ok'
            ? ctx.action
            : 'config.rejected',
      source: ctx.source,
      result,
      ...extra,
    })
  }
}
