/**
 * Runs the health monitors of the current version's upstreams in this process (threads = 1).
 * A monitor belongs to an Upstream object, so an upstream reused across a reload keeps its
 * monitor and its health state; dropped upstreams have theirs stopped.
 */
import type { Snapshot } from '../runtime/snapshot.ts'
import { startHealthMonitor } from '../upstream/index.ts'
import type { HealthMonitor, Upstream } from '../upstream/types.ts'

export class HealthMonitors {
  readonly #monitors = new Map<Upstream, HealthMonitor>()

  /** Starts monitors for new upstreams and stops those of dropped ones. */
  sync(snapshot: Snapshot): void {
    const live = new Set<Upstream>()
    for (const [name, upstream] of snapshot.upstreams) {
      live.add(upstream)
      if (upstream.transparent || this.#monitors.has(upstream)) continue
      const conf = snapshot.config.upstreams[name]
      if (conf === undefined) continue
      this.#monitors.set(upstream, startHealthMonitor(upstream, conf))
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
