/**
 * Runs one upstream's health checks on its interval and applies each flip. Runs never overlap:
 * the next one is scheduled when the previous ends. Each run probes the backend list as it is
 * then, so backends that DNS discovery adds are checked from their first tick.
 */
import type { UpstreamConf } from '../../config/types.ts'
import { logger } from '../../core/logger.ts'
import type { Backend, HealthChecker, HealthMonitor, Upstream } from '../types.ts'
import { grpcChecker } from './grpc.ts'
import { HealthTracker } from './health-tracker.ts'
import { httpChecker } from './http.ts'
import { parseHealthCheck, type HealthCheckConf } from './parse.ts'
import { tcpChecker } from './tcp.ts'

const log = logger.child({ module: 'health' })

/** Called on every flip, e.g. to publish it to workers over IPC. */
export type FlipListener = (address: string, healthy: boolean) => void

function checkerFor(check: HealthCheckConf): HealthChecker & { close?(): Promise<void> } {
  if (check.kind === 'grpc') return grpcChecker(check)
  return check.kind === 'http' ? httpChecker(check) : tcpChecker(check.connectTimeoutMs)
}

/**
 * How long after the start of run number `run` the next one starts. Every upstream of a config
 * starts checking at once, so with one interval they would all probe in the same loop turn
 * forever (500 upstreams: 500 connects every 10 s, a latency spike each time). After the first
 * run each monitor moves to a random phase within the interval, then keeps it with a little
 * jitter; a wait is never longer than `check_frequency`.
 */
export function nextInterval(intervalMs: number, run: number, random = Math.random): number {
  const spread = run === 1 ? 0.5 : 0.1
  return intervalMs * (1 - spread * random())
}

/**
 * Starts checking `upstream` as `conf.health_check` says; the first run starts at once.
 * Transparent upstreams are never checked. `stop()` aborts probes in flight.
 */
export function startHealthMonitor(
  upstream: Upstream,
  conf: UpstreamConf,
  onFlip?: FlipListener,
): HealthMonitor {
  if (upstream.transparent) return { stop: () => undefined }
  const check = parseHealthCheck(conf.health_check, `upstreams.${upstream.name}.health_check`)
  const checker = checkerFor(check)
  const trackers = new Map<string, HealthTracker>()
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let stopped = false
  let runs = 0

  const apply = (backend: Backend, tracker: HealthTracker, reason: unknown): void => {
    const healthy = tracker.healthy
    upstream.setHealthy(backend.address, healthy)
    const fields = { upstream: upstream.name, backend: backend.address }
    if (healthy) log.info('backend became healthy', fields)
    else log.warn('backend became unhealthy', { ...fields, reason })
    try {
      onFlip?.(backend.address, healthy)
    } catch (err) {
      log.error('health flip listener failed', { ...fields, err })
    }
  }

  const probe = async (backend: Backend): Promise<void> => {
    let reason: unknown
    const ok = await checker.check(backend, controller.signal).then(
      () => true,
      (err: unknown) => {
        reason = err
        return false
      },
    )
    if (stopped) return
    let tracker = trackers.get(backend.address)
    if (tracker === undefined) {
      tracker = new HealthTracker(check.success, check.failure, backend.healthy)
      trackers.set(backend.address, tracker)
    }
    if (tracker.record(ok)) apply(backend, tracker, reason)
  }

  const run = async (): Promise<void> => {
    const started = performance.now()
    const backends = upstream.backends
    const live = new Set(backends.map((b) => b.address))
    for (const address of trackers.keys()) if (!live.has(address)) trackers.delete(address)
    if (check.parallel) {
      await Promise.all(backends.map(probe))
    } else {
      for (const backend of backends) {
        if (stopped) return
        await probe(backend)
      }
    }
    if (stopped) return
    const wait = Math.max(0, nextInterval(check.intervalMs, ++runs) - (performance.now() - started))
    timer = setTimeout(() => void run(), wait)
    // Health checks alone must not keep the process alive.
    timer.unref()
  }

  void run()
  return {
    stop() {
      stopped = true
      clearTimeout(timer)
      controller.abort()
      void checker.close?.()
    },
  }
}
