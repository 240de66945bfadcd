/**
 * Per-backend response statistics (spec §3.6): a two-window rate counter over
 * `backend_stats_interval` (the previous window's counts weighted by how much of it still
 * overlaps the sliding window, as rate limiters do) plus consecutive success/failure runs.
 */
import type { UpstreamConf } from '../config/types.ts'
import { ConfigError } from '../core/errors.ts'
import { durationKey } from './options.ts'

/** `backend_stats_interval` when unset (spec §1.8). */
export const DEFAULT_STATS_INTERVAL_MS = 60_000

/** Decides whether a response status counts as a failure. */
export type FailureStatus = (status: number) => boolean

/**
 * `backend_failure_status_code` as a predicate: a comma-separated list of statuses, or any
 * status ≥ 500 when unset or empty. Throws ConfigError naming the key on a bad entry.
 */
export function failureStatus(conf: UpstreamConf, name: string): FailureStatus {
  const text = conf.backend_failure_status_code?.trim() ?? ''
  if (text === '') return (status) => status >= 500
  const set = new Set<number>()
  for (const part of text.split(',')) {
    const item = part.trim()
    if (!/^\d{3}$/.test(item) || Number(item) < 100 || Number(item) > 599) {
      throw new ConfigError(
        'PGT_ERR_CONFIG_INVALID',
        `upstreams.${name}.backend_failure_status_code`,
        [`"${item}" is not an HTTP status`],
      )
    }
    set.add(Number(item))
  }
  return (status) => set.has(status)
}

/** `backend_stats_interval` in milliseconds (at least 1 ms). */
export function statsIntervalMs(conf: UpstreamConf, name: string): number {
  const ms = durationKey(conf.backend_stats_interval, `upstreams.${name}.backend_stats_interval`)
  return ms === undefined ? DEFAULT_STATS_INTERVAL_MS : Math.max(1, ms)
}

/** Sliding-window counts and consecutive runs of one backend. */
export class BackendStats {
  readonly #windowMs: number
  #windowStart = 0
  #total = 0
  #failures = 0
  #previousTotal = 0
  #previousFailures = 0
  /** Consecutive failed responses (a success resets it). */
  consecutiveFailures = 0
  /** Consecutive successful responses (a failure resets it). */
  consecutiveSuccesses = 0

  constructor(windowMs: number) {
    this.#windowMs = windowMs
  }

  /** Records one outcome at `now` (ms); `countsInRuns` false keeps the runs unchanged. */
  record(failed: boolean, now: number, countsInRuns = true): void {
    this.#roll(now)
    this.#total++
    if (failed) this.#failures++
    if (!countsInRuns) return
    if (failed) {
      this.consecutiveFailures++
      this.consecutiveSuccesses = 0
    } else {
      this.consecutiveSuccesses++
      this.consecutiveFailures = 0
    }
  }

  /** Estimated responses in the sliding window ending at `now`. */
  requests(now: number): number {
    this.#roll(now)
    return this.#estimate(now, this.#total, this.#previousTotal)
  }

  /** Estimated failure rate in percent (0 when nothing was recorded). */
  failurePercent(now: number): number {
    const total = this.requests(now) // rolls the window first
    if (total <= 0) return 0
    return (this.#estimate(now, this.#failures, this.#previousFailures) / total) * 100
  }

  /** Forgets everything (a breaker that closes starts a fresh window). */
  reset(now: number): void {
    this.#windowStart = now
    this.#total = this.#failures = this.#previousTotal = this.#previousFailures = 0
    this.consecutiveFailures = this.consecutiveSuccesses = 0
  }

  /** Call after #roll(now). */
  #estimate(now: number, current: number, previous: number): number {
    const elapsed = (now - this.#windowStart) / this.#windowMs
    return current + previous * Math.max(0, 1 - elapsed)
  }

  #roll(now: number): void {
    const passed = now - this.#windowStart
    if (passed < this.#windowMs) return
    if (passed < 2 * this.#windowMs) {
      this.#previousTotal = this.#total
      this.#previousFailures = this.#failures
      this.#windowStart += this.#windowMs
    } else {
      this.#previousTotal = this.#previousFailures = 0
      this.#windowStart = now
    }
    this.#total = this.#failures = 0
  }
}
