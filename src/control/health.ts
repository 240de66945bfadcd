/**
 * Runs the health monitors of the current version's upstreams in this process (threads = 1, or
 * the cluster primary, which forwards each flip to its workers).
 * A monitor belongs to an Upstream object, so an upstream reused across a reload keeps its
 * monitor and its health state; dropped upstreams have theirs stopped.
 */
import type { Snapshot } from '../runtime/snapshot.ts'
import { startHealthMonitor } from '../upstream/index.ts'
import type { HealthMonitor, Upstream } from '../upstream/types.ts'

/** Told of every flip, e.g. by the cluster primary to forward it to the workers. */
export type HealthFlipListener = (upstream: string, address: string, healthy: boolean) => void

export class HealthMonitors {
  readonly #monitors = new Map<Upstream, HealthMonitor>()
  readonly #onFlip: HealthFlipListener | undefined

  constructor(onFlip?: HealthFlipListener) {
    this.#onFlip = onFlip
  }

  /** Starts monitors for new upstreams and stops those of dropped ones. */
  sync(snapshot: Snapshot): void {
    const live = new Set<Upstream>()
    for (const [name, upstream] of snapshot.upstreams) {
      live.add(upstream)
      if (upstream.transparent || this.#monitors.has(upstream)) continue
      const conf = snapshot.config.upstreams[name]
      if (conf === undefined) continue
      const onFlip = this.#onFlip
      const listener =
        onFlip === undefined
          ? undefined
          : (address: string, healthy: boolean) => onFlip(name, address, healthy)
      this.#monitors.set(upstream, startHealthMonitor(upstream, conf, listener))
    }
    for (const [upstream, monitor] of this.#monitors) {
      if (live.has(upstream)) continue
      monitor.stop()
      this.#monitors.delete(upstream)
    }
  }

  stopAll(): void {
    for (const monitor of this.#monitors.values()) monitor.stop()
    this.#monitors.clear()
  }
}
