/**
 * The one path every config change takes: load the whole store → parse and validate →
 * compare the hash → record a version → publish to the data plane. Triggers that arrive
 * during a run coalesce into exactly one more run; a failed run changes nothing and is
 * reported (log at error level, kept for the status endpoint).
 */
import { setImmediate } from 'node:timers/promises'
import { ConfigErrors, ConfigError } from '../core/errors.ts'
import { logger } from '../core/logger.ts'
import type { ConfigStore } from '../config/store.ts'
import type { LoadedConfig, PingapConfig } from '../config/types.ts'
import { inProcessPreparer, type ConfigPreparer } from './prepare.ts'
import { deltaOf, type VersionLog, type ConfigVersion } from './versions.ts'

const log = logger.child({ module: 'config' })

/** Where a validated version goes: this process's runtime, or workers over IPC. */
export interface DataPlane {
  /**
   * Builds and applies the version; throws (changing nothing) when the build fails. Unchanged
   * items of `version.config` are the very objects of the version it replaces.
   */
  publish(version: ConfigVersion, loaded: PublishedFrom): Promise<void>
}

/**
 * What a data plane passes to its snapshot build: the sources, and the version's change list
 * with the hash it was made against, so the build need not compare every item again.
 */
export function buildHints(
  version: ConfigVersion,
  from: PublishedFrom,
): {
  sources: PublishedFrom['sources']
  changes?: { readonly base: string; readonly changes: readonly string[] }
} {
  if (from.base === undefined) return { sources: from.sources }
  return { sources: from.sources, changes: { base: from.base, changes: version.changes } }
}

/** Where a published version came from. */
export interface PublishedFrom {
  readonly sources: LoadedConfig['sources']
  /** The hash of the config `version.changes` lists the changes against (the served one). */
  readonly base?: string
}

export type PipelineResult =
  | { readonly status: 'applied'; readonly version: number; readonly changes: readonly string[] }
  | { readonly status: 'unchanged'; readonly version: number }
  | { readonly status: 'rejected'; readonly errors: readonly string[] }

/** Told about every run's outcome (notifications, metrics); must not throw. */
export interface PipelineEvents {
  applied?(version: ConfigVersion, previous: PingapConfig | undefined): void
  unchanged?(version: number): void
  rejected?(errors: readonly string[]): void
}

export interface PipelineDeps {
  readonly store: ConfigStore
  readonly versions: VersionLog
  readonly dataPlane: DataPlane
  readonly events?: PipelineEvents
  /** Loads and validates the store (default: on this thread, see prepare-thread.ts). */
  readonly preparer?: ConfigPreparer
}

/** Flattens whatever a run threw into messages that name file, table and key. */
export function errorMessages(err: unknown): string[] {
  if (err instanceof ConfigErrors) return err.errors.map((e) => e.message)
  if (err instanceof ConfigError) return [err.message]
  return [err instanceof Error ? err.message : String(err)]
}

/** Changes listed in the `config applied` log line; past this, a count (one line, not 200 KB). */
const LOGGED_CHANGES = 100

/** A version's change list for the log: whole up to LOGGED_CHANGES, then `… and N more`. */
export function loggedChanges(changes: readonly string[]): readonly string[] {
  if (changes.length <= LOGGED_CHANGES) return changes
  const more = changes.length - LOGGED_CHANGES
  return [...changes.slice(0, LOGGED_CHANGES), `… and ${more} more`]
}

export class ConfigPipeline {
  readonly #deps: PipelineDeps
  readonly #preparer: ConfigPreparer
  #running: Promise<PipelineResult> | undefined
  #again: string | undefined
  #lastRejection: { at: string; errors: readonly string[] } | undefined
  readonly #subscribers = new Set<PipelineEvents>()
  #held: Promise<void> | undefined

  constructor(deps: PipelineDeps) {
    this.#deps = deps
    this.#preparer = deps.preparer ?? inProcessPreparer(deps.store)
  }

  /** Stops the preparer's worker thread (shutdown). */
  close(): Promise<void> {
    return this.#preparer.close()
  }

  /**
   * Runs `work` (an admin write saving several files) with no run in between, so no run reads
   * half of it; a run in progress finishes first, and runs asked for meanwhile happen after.
   * `work` must not wait for a run itself.
   */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.#running !== undefined || this.#held !== undefined) {
      await (this.#running ?? this.#held)?.catch(() => undefined)
    }
    let release = (): void => undefined
    this.#held = new Promise<void>((resolve) => (release = resolve))
    try {
      return await work()
    } finally {
      this.#held = undefined
      release()
    }
  }

  /** Adds a listener told about every outcome besides `deps.events` (the admin server). */
  subscribe(events: PipelineEvents): () => void {
    this.#subscribers.add(events)
    return () => this.#subscribers.delete(events)
  }

  #listeners(): PipelineEvents[] {
    const all = [...this.#subscribers]
    return this.#deps.events === undefined ? all : [this.#deps.events, ...all]
  }

  /** The last failed run, if the latest run failed. */
  get lastRejection(): { at: string; errors: readonly string[] } | undefined {
    return this.#lastRejection
  }

  /** Runs the pipeline; calls made while a run is in progress coalesce into one more run. */
  run(source: string): Promise<PipelineResult> {
    if (this.#running !== undefined) {
      this.#again = source
      return this.#running
    }
    this.#running = this.#drain(source).finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #drain(first: string): Promise<PipelineResult> {
    let source: string | undefined = first
    let result: PipelineResult = { status: 'unchanged', version: 0 }
    while (source !== undefined) {
      while (this.#held !== undefined) await this.#held
      this.#again = undefined
      result = await this.#runOnce(source).catch((err: unknown) => this.#reject(err))
      source = this.#again
    }
    return result
  }

  #reject(err: unknown): PipelineResult {
    const errors = errorMessages(err)
    this.#lastRejection = { at: new Date().toISOString(), errors }
    for (const message of errors)
      log.error('config rejected, the previous version keeps serving', { error: message })
    for (const l of this.#listeners()) l.rejected?.(errors)
    return { status: 'rejected', errors }
  }

  async #runOnce(source: string): Promise<PipelineResult> {
    const current = this.#deps.versions.current
    const prepared = await this.#preparer.prepare(current?.config)
    const loaded = prepared.config
    if (current !== undefined && current.hash === loaded.hash) {
      this.#lastRejection = undefined
      for (const l of this.#listeners()) l.unchanged?.(current.number)
      return { status: 'unchanged', version: current.number }
    }
    // Unchanged items become the current version's objects: the build then reuses them by
    // identity, and the recorded version shares them (versions.ts).
    const delta = prepared.delta ?? deltaOf(current?.config, loaded)
    const config = delta.shared
    const candidate: ConfigVersion = {
      number: this.#deps.versions.next,
      hash: config.hash,
      config,
      createdAt: new Date().toISOString(),
      source,
      changes: delta.changes,
    }
    await setImmediate()
    const from = {
      sources: prepared.sources,
      ...(current !== undefined ? { base: current.hash } : {}),
    }
    await this.#deps.dataPlane.publish(candidate, from)
    await setImmediate()
    const version = this.#deps.versions.record(config, source, { base: current, delta })
    this.#lastRejection = undefined
    log.info('config applied', {
      version: version.number,
      source,
      changes: loggedChanges(version.changes),
    })
    for (const l of this.#listeners()) l.applied?.(version, current?.config)
    return { status: 'applied', version: version.number, changes: version.changes }
  }
}
