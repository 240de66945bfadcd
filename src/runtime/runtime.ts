/**
 * Holds the live snapshot and replaces it when a validated config is applied. Node runs one
 * callback at a time, so the swap is one assignment; what makes it safe is that the next
 * snapshot is complete before the assignment and nobody mutates a snapshot.
 */
import type { PingapConfig } from '../config/types.ts'
import type { Plugin } from '../plugins/types.ts'
import type { Upstream } from '../upstream/types.ts'
import { buildSnapshot, buildSnapshotInSlices, type BuildDeps } from './build.ts'
import type { Snapshot } from './snapshot.ts'

export interface ApplyResult {
  readonly changed: boolean
  readonly version: number
  /** Upstreams that are new in this version (already started). */
  readonly added: readonly Upstream[]
  /** Upstreams the new version dropped (being closed). */
  readonly dropped: readonly Upstream[]
}

type Component = Upstream | Plugin

function components(snapshot: Snapshot): Set<Component> {
  return new Set<Component>([...snapshot.upstreams.values(), ...snapshot.plugins.values()])
}

function unchanged(current: Snapshot): ApplyResult {
  return { changed: false, version: current.version, added: [], dropped: [] }
}

export class Runtime {
  readonly #deps: BuildDeps
  #current: Snapshot
  #applying: Promise<unknown> = Promise.resolve()

  constructor(deps: BuildDeps, initial: Snapshot) {
    this.#deps = deps
    this.#current = initial
  }

  /** Builds the first snapshot and starts its components. */
  static create(deps: BuildDeps, config: PingapConfig, version: number): Runtime {
    const initial = buildSnapshot(config, undefined, version, deps)
    for (const component of components(initial)) component.start?.()
    return new Runtime(deps, initial)
  }

  get current(): Snapshot {
    return this.#current
  }

  /** Builds and swaps in `config`. Throws (keeping the old snapshot) when the build fails. */
  apply(config: PingapConfig, version: number, deps: Partial<BuildDeps> = {}): ApplyResult {
    const prev = this.#current
    if (config.hash === prev.config.hash) return unchanged(prev)
    return this.#swap(prev, buildSnapshot(config, prev, version, { ...this.#deps, ...deps }))
  }

  /**
   * apply() with the build sliced across event-loop turns (buildSnapshotInSlices): what a
   * serving process uses, so a reload that rebuilds thousands of locations does not stall
   * requests for the whole build. Calls run one after the other.
   */
  applyInSlices(
    config: PingapConfig,
    version: number,
    deps: Partial<BuildDeps> = {},
  ): Promise<ApplyResult> {
    const run = this.#applying.then(async () => {
      const prev = this.#current
      if (config.hash === prev.config.hash) return unchanged(prev)
      const next = await buildSnapshotInSlices(config, prev, version, { ...this.#deps, ...deps })
      // A synchronous apply() swapped meanwhile: build again on top of what serves now.
      if (this.#current !== prev) return this.apply(config, version, deps)
      return this.#swap(prev, next)
    })
    this.#applying = run.catch(() => undefined)
    return run
  }

  #swap(prev: Snapshot, next: Snapshot): ApplyResult {
    const version = next.version
    const before = components(prev)
    const after = components(next)
    for (const component of after) if (!before.has(component)) component.start?.()
    this.#current = next
    const dropped = [...before].filter((c) => !after.has(c))
    // In-flight requests keep their snapshot; close() lets them finish.
    for (const component of dropped) void component.close?.()
    return {
      changed: true,
      version,
      added: [...next.upstreams.values()].filter((u) => !before.has(u)),
      dropped: [...prev.upstreams.values()].filter((u) => !after.has(u)),
    }
  }

  /** Closes every component (shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled([...components(this.#current)].map(async (c) => c.close?.()))
  }
}
