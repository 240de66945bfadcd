/**
 * The shapes of the benchmark: a scenario is a set of targets measured in the same rounds and
 * the ratios between them that an issue asks for; a target starts one proxy on a free port.
 */
import type { OtlpSink } from './otlp-sink.ts'
import type { Tracked } from './processes.ts'

/** What every target of a run shares. */
export interface RunContext {
  /** The run's temp dir (configs, logs). */
  readonly dir: string
  readonly originPort: number
  /** BENCH_PIN=1: taskset CPU list for a single-process proxy under test. */
  readonly proxyCpus: string | undefined
  readonly otlp: OtlpSink
}

/** A started proxy. */
export interface Started {
  /** `http://127.0.0.1:<port>`. */
  readonly base: string
  readonly process: Tracked
  /** Count the CPU of the process's children too (nginx's workers, pingap-ts's workers). */
  readonly children: boolean
  /** Access-log file whose new lines are counted during the measured run. */
  readonly log?: string
}

/** One proxy configuration under test. */
export interface Target {
  readonly name: string
  /** Request path (default MAIN_PATH) and Host header (default wrk's). */
  readonly path?: string
  readonly host?: string
  /** Whether its requests export spans to the run's OTLP sink (the count is reported). */
  readonly traced?: boolean
  start(ctx: RunContext, port: number): Promise<Started>
  /** Checks beyond "answers the origin's body", run once the target is up. */
  check?(base: string): Promise<void>
}

/** A ratio the run prints: `of` against `to`, with the goal when there is one. */
export interface Ratio {
  readonly of: string
  readonly to: string
  /** Minimum of `of`'s req/s ÷ `to`'s. */
  readonly minRps?: number
  /** Maximum of `of`'s p99 ÷ `to`'s. */
  readonly maxP99?: number
}

/** A named scenario: `BENCH_SCENARIOS=main,plugins` runs some. */
export interface Scenario {
  readonly name: string
  /** One line: what is compared and which issue asks for it. */
  readonly title: string
  readonly targets: readonly Target[]
  readonly ratios: readonly Ratio[]
}
