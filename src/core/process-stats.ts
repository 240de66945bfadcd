/**
 * Process-wide traffic counters and a snapshot of the process's health (heap, RSS, event-loop
 * utilisation, handles, file descriptors). The listeners update `traffic`; the `stats` plugin,
 * the metrics and the status endpoint read it, so none of them has to reach into the proxy.
 */
import { readdirSync } from 'node:fs'
import { performance, type EventLoopUtilization } from 'node:perf_hooks'

/** Counters the listeners keep (plain fields: an increment costs nothing measurable). */
export interface TrafficCounters {
  /** Open client connections. */
  connections: number
  /** Requests received since start. */
  accepted: number
  /** Requests in progress. */
  processing: number
}

/** The live counters of this process. */
export const traffic: TrafficCounters = { connections: 0, accepted: 0, processing: 0 }

/** What {@link processStats} reports (byte sizes in bytes). */
export interface ProcessStats {
  readonly processing: number
  readonly accepted: number
  readonly connections: number
  readonly rss: number
  readonly heap_used: number
  readonly heap_total: number
  readonly external: number
  /** Share of time the event loop was busy since the previous call (0..1; since start at first). */
  readonly event_loop_utilization: number
  /** Active handles and requests (timers, sockets, servers …). */
  readonly active_handles: number
  /** Open file descriptors (Linux; undefined elsewhere). */
  readonly fd_count: number | undefined
}

/** ELU is cumulative; a window shorter than this reuses the previous figure (less noise). */
const ELU_MIN_WINDOW_MS = 1000
let eluMark: EventLoopUtilization | undefined
let eluMarkAt = 0
let eluValue = 0

function eventLoopUtilization(): number {
  const now = performance.now()
  if (eluMark === undefined) {
    eluMark = performance.eventLoopUtilization()
    eluMarkAt = now
    eluValue = eluMark.utilization
    return eluValue
  }
  if (now - eluMarkAt < ELU_MIN_WINDOW_MS) return eluValue
  const current = performance.eventLoopUtilization()
  eluValue = performance.eventLoopUtilization(current, eluMark).utilization
  eluMark = current
  eluMarkAt = now
  return eluValue
}

function fdCount(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return undefined
  }
}

/** A snapshot of the process; cheap enough to compute per `stats` request. */
export function processStats(): ProcessStats {
  const memory = process.memoryUsage()
  return {
    processing: traffic.processing,
    accepted: traffic.accepted,
    connections: traffic.connections,
    rss: memory.rss,
    heap_used: memory.heapUsed,
    heap_total: memory.heapTotal,
    external: memory.external,
    event_loop_utilization: Math.round(eventLoopUtilization() * 10_000) / 10_000,
    active_handles: process.getActiveResourcesInfo().length,
    fd_count: fdCount(),
  }
}
