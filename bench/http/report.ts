/**
 * Turns the rounds of a run into medians and ratios: a table per scenario on stdout and one
 * JSON report (bench/results/latest.json) with every round, for later comparison.
 */
import type { Measured } from './measure.ts'
import type { Ratio, Scenario } from './scenario.ts'

/** The medians over the rounds of one target. */
export interface Summary {
  rounds: number
  requestsPerSecond: number
  p50Us: number
  p99Us: number
  cpuMicrosPerRequest: number
  /** The parent process's share (targets with workers). */
  parentCpuMicrosPerRequest?: number
  /** wrk errors of every kind, summed over the rounds. */
  errors: number
  /** Access-log lines ÷ requests of the measured runs, summed over rounds (≥ 1: none lost). */
  loggedPerRequest?: number
  otlpExports?: number
}

/** A ratio's figures: req/s, requests per CPU-second and p99, `of` ÷ `to`. */
export interface RatioFigures extends Ratio {
  rps: number
  perCpu: number
  p99: number
  /** Whether the goals hold (undefined when the ratio has none). */
  met?: boolean
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)

/** Medians of one target's rounds. */
export function summarise(rounds: readonly Measured[]): Summary {
  const logged = rounds.flatMap((r) => (r.logged === undefined ? [] : [r.logged]))
  const exports = rounds.flatMap((r) => (r.otlpExports === undefined ? [] : [r.otlpExports]))
  const parent = rounds.flatMap((r) =>
    r.parentCpuMicrosPerRequest === undefined ? [] : [r.parentCpuMicrosPerRequest],
  )
  return {
    rounds: rounds.length,
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50Us: median(rounds.map((r) => r.latency.p50)),
    p99Us: median(rounds.map((r) => r.latency.p99)),
    cpuMicrosPerRequest: median(rounds.map((r) => r.cpuMicrosPerRequest)),
    ...(parent.length === 0 ? {} : { parentCpuMicrosPerRequest: median(parent) }),
    errors: sum(rounds.map((r) => sum(Object.values(r.errors)))),
    ...(logged.length === 0
      ? {}
      : { loggedPerRequest: sum(logged) / sum(rounds.map((r) => r.requests)) }),
    ...(exports.length === 0 ? {} : { otlpExports: sum(exports) }),
  }
}

/** The figures of each ratio whose two targets were measured. */
export function ratios(scenario: Scenario, summaries: Record<string, Summary>): RatioFigures[] {
  const out: RatioFigures[] = []
  for (const ratio of scenario.ratios) {
    const of = summaries[ratio.of]
    const to = summaries[ratio.to]
    if (of === undefined || to === undefined) continue
    const figures: RatioFigures = {
      ...ratio,
      rps: of.requestsPerSecond / to.requestsPerSecond,
      perCpu: to.cpuMicrosPerRequest / of.cpuMicrosPerRequest,
      p99: of.p99Us / to.p99Us,
    }
    if (ratio.minRps !== undefined || ratio.maxP99 !== undefined) {
      figures.met =
        (ratio.minRps === undefined || figures.rps >= ratio.minRps) &&
        (ratio.maxP99 === undefined || figures.p99 <= ratio.maxP99)
    }
    out.push(figures)
  }
  return out
}

function us(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)}ms` : `${Math.round(value)}µs`
}

function printRows(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '))
}

function goal(r: RatioFigures): string {
  const parts: string[] = []
  if (r.minRps !== undefined) parts.push(`req/s ≥ ${r.minRps}`)
  if (r.maxP99 !== undefined) parts.push(`p99 ≤ ${r.maxP99}`)
  if (parts.length === 0) return '-'
  return `${parts.join(', ')}: ${r.met === true ? 'met' : 'NOT met'}`
}

/** Prints a scenario's medians and ratios. */
export function printScenario(
  scenario: Scenario,
  summaries: Record<string, Summary>,
  figures: readonly RatioFigures[],
): void {
  console.log(`\n== ${scenario.name}: ${scenario.title}`)
  const rows = [['target', 'req/s', 'p50', 'p99', 'CPU µs/req', 'errors', 'logged/req', 'otlp']]
  for (const [name, s] of Object.entries(summaries)) {
    rows.push([
      name,
      Math.round(s.requestsPerSecond).toLocaleString('en-US'),
      us(s.p50Us),
      us(s.p99Us),
      s.cpuMicrosPerRequest.toFixed(1) +
        (s.parentCpuMicrosPerRequest === undefined
          ? ''
          : ` (parent ${s.parentCpuMicrosPerRequest.toFixed(1)})`),
      String(s.errors),
      s.loggedPerRequest === undefined ? '-' : s.loggedPerRequest.toFixed(3),
      s.otlpExports === undefined ? '-' : String(s.otlpExports),
    ])
  }
  printRows(rows)
  if (figures.length === 0) return
  console.log('')
  const ratioRows = [['ratio', 'req/s', 'per CPU', 'p99', 'goal']]
  for (const r of figures) {
    ratioRows.push([
      `${r.of} / ${r.to}`,
      `${r.rps.toFixed(2)}x`,
      `${r.perCpu.toFixed(2)}x`,
      `${r.p99.toFixed(2)}x`,
      goal(r),
    ])
  }
  printRows(ratioRows)
}
