/**
 * Per-backend circuit breaker (spec §3.6, the documented intent rather than quirk Q4): closed →
 * open for `circuit_break_open_duration` when consecutive failures or the failure rate trip it →
 * half-open, which admits up to `circuit_break_half_open_consecutive_success_threshold` probe
 * requests → closed after that many successes in a row, or open again on any failure. Connect
 * failures count like failed responses. It works whether or not `enable_backend_stats` is set.
 */
import type { UpstreamConf } from '../config/types.ts'
import {
  BackendStats,
  failureStatus,
  statsIntervalMs,
  type FailureStatus,
} from './backend-stats.ts'
import { durationKey } from './options.ts'

/** Breaker states, with the numeric codes Pingap exposes (0 closed, 1 open, 2 half-open). */
export const BREAKER_STATE_CODE = { closed: 0, open: 1, half_open: 2 } as const

/** One of the three breaker states. */
export type BreakerState = keyof typeof BREAKER_STATE_CODE

/** The breaker and stats settings of one upstream, from `[upstreams.<name>]`. */
export interface BreakerSettings {
  readonly windowMs: number
  readonly isFailure: FailureStatus
  /** 0: the consecutive-failure trip is off. */
  readonly maxConsecutiveFailures: number
  /** 0: the failure-rate trip is off. */
  readonly maxFailurePercent: number
  readonly minRequests: number
  /** Probes admitted, and successes needed to close, in half-open (at least 1). */
  readonly halfOpenSuccesses: number
  readonly openMs: number
}

/**
 * The settings of an upstream's breakers, or undefined when neither stats nor a breaker is
 * configured (then nothing is counted per request). Throws ConfigError on malformed keys.
 */
export function breakerSettings(conf: UpstreamConf, name: string): BreakerSettings | undefined {
  const maxConsecutiveFailures = conf.circuit_break_max_consecutive_failures ?? 0
  const maxFailurePercent = conf.circuit_break_max_failure_percent ?? 0
  const openMs = durationKey(
    conf.circuit_break_open_duration,
    `upstreams.${name}.circuit_break_open_duration`,
  )
  const settings: BreakerSettings = {
    windowMs: statsIntervalMs(conf, name),
    isFailure: failureStatus(conf, name),
    maxConsecutiveFailures,
    maxFailurePercent,
    minRequests: conf.circuit_break_min_requests_threshold ?? 10,
    halfOpenSuccesses: Math.max(1, conf.circuit_break_half_open_consecutive_success_threshold ?? 5),
    openMs: openMs ?? 10_000,
  }
  const breaker = maxConsecutiveFailures > 0 || maxFailurePercent > 0
  return breaker || conf.enable_backend_stats === true ? settings : undefined
}

/** True when the settings describe a breaker (not only statistics). */
export function hasBreaker(settings: BreakerSettings): boolean {
  return settings.maxConsecutiveFailures > 0 || settings.maxFailurePercent > 0
}

/** The statistics and breaker state of one backend. */
export class CircuitBreaker {
  readonly stats: BackendStats
  readonly #settings: BreakerSettings
  readonly #enabled: boolean
  #state: BreakerState = 'closed'
  #openUntil = 0
  /** Probes admitted since the breaker went half-open. */
  #probes = 0
  /** Called on every state change (logs, metrics). */
  readonly #onChange: (state: BreakerState) => void

  constructor(settings: BreakerSettings, onChange: (state: BreakerState) => void = () => {}) {
    this.#settings = settings
    this.#enabled = hasBreaker(settings)
    this.stats = new BackendStats(settings.windowMs)
    this.#onChange = onChange
  }

  /** The state at `now`; an open breaker whose time is up reads as half-open. */
  state(now: number): BreakerState {
    if (this.#state === 'open' && now >= this.#openUntil) this.#set('half_open')
    return this.#state
  }

  /** Whether a new request may be sent to this backend at `now`. */
  admits(now: number): boolean {
    const state = this.state(now)
    if (state === 'closed') return true
    return state === 'half_open' && this.#probes < this.#settings.halfOpenSuccesses
  }

  /** Notes that a request was sent (a half-open breaker spends one probe). */
  picked(now: number): void {
    if (this.state(now) === 'half_open') this.#probes++
  }

  /** Records a response status, or a failure to connect / get a response (`status` 0). */
  report(status: number, now: number): void {
    const failed = status === 0 || this.#settings.isFailure(status)
    this.stats.record(failed, now)
    if (!this.#enabled) return
    const state = this.state(now)
    if (state === 'half_open') {
      if (failed) this.#open(now)
      else if (this.stats.consecutiveSuccesses >= this.#settings.halfOpenSuccesses) {
        this.stats.reset(now)
        this.#set('closed')
      }
      return
    }
    if (state === 'closed' && failed && this.#trips(now)) this.#open(now)
  }

  #trips(now: number): boolean {
    const s = this.#settings
    if (s.maxConsecutiveFailures > 0 && this.stats.consecutiveFailures >= s.maxConsecutiveFailures)
      return true
    if (s.maxFailurePercent <= 0) return false
    const requests = this.stats.requests(now)
    return requests >= s.minRequests && this.stats.failurePercent(now) >= s.maxFailurePercent
  }

  #open(now: number): void {
    this.#openUntil = now + this.#settings.openMs
    this.#set('open')
  }

  #set(state: BreakerState): void {
    if (state === this.#state) return
    this.#state = state
    this.#probes = 0
    if (state === 'half_open') this.stats.consecutiveSuccesses = 0
    this.#onChange(state)
  }
}
