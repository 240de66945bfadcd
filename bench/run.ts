/**
 * `npm run bench`: every throughput scenario the issues ask for, in one command and one run.
 * An nginx origin answers a 100-byte JSON body; each scenario's targets (nginx, pingap-ts,
 * bare Node proxies) are started one at a time in front of it, warmed up and driven by wrk,
 * round after round, so machine noise hits every target alike. Prints a table of medians and
 * ratios per scenario and writes bench/results/latest.json. Settings: bench/README.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadAverages, machineInfo } from './http/machine.ts'
import { measure, type LoadSettings, type Measured } from './http/measure.ts'
import { originConf, startNginx } from './http/nginx.ts'
import { startOtlpSink } from './http/otlp-sink.ts'
import { freePort, stopAll, waitForHttp } from './http/processes.ts'
import { printScenario, ratios, summarise, type RatioFigures, type Summary } from './http/report.ts'
import type { RunContext, Scenario } from './http/scenario.ts'
import { SCENARIOS } from './http/scenarios.ts'

interface Settings extends LoadSettings {
  rounds: number
  scenarios: Scenario[]
  /** BENCH_TARGETS: only these targets (all when unset). */
  targets: string[] | undefined
  keep: boolean
  /** BENCH_PIN=1: a single-process proxy on the last CPU, origin and wrk on the others. */
  proxyCpus: string | undefined
}

/** BENCH_QUICK=1: a smoke run (CI), unless the variables say otherwise. */
const QUICK = process.env['BENCH_QUICK'] === '1'

function envNumber(name: string, fallback: number, quick: number): number {
  const value = Number(process.env[name] ?? (QUICK ? quick : fallback))
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

function list(name: string): string[] | undefined {
  const value = process.env[name]
  if (value === undefined || value.trim() === '') return undefined
  return value.split(',').map((item) => item.trim())
}

function pickScenarios(): Scenario[] {
  const names = list('BENCH_SCENARIOS')
  if (names === undefined) return [...SCENARIOS]
  return names.map((name) => {
    const scenario = SCENARIOS.find((s) => s.name === name)
    if (scenario === undefined) {
      throw new Error(`unknown scenario ${name}: one of ${SCENARIOS.map((s) => s.name).join(', ')}`)
    }
    return scenario
  })
}

function settings(): Settings {
  const cores = cpus().length
  const pin = process.env['BENCH_PIN'] === '1' && cores >= 2
  return {
    threads: envNumber('BENCH_THREADS', 2, 2),
    connections: envNumber('BENCH_CONNECTIONS', 50, 50),
    duration: envNumber('BENCH_DURATION', 10, 2),
    warmup: envNumber('BENCH_WARMUP', 3, 1),
    rounds: envNumber('BENCH_ROUNDS', 3, 1),
    scenarios: pickScenarios(),
    targets: list('BENCH_TARGETS'),
    keep: process.env['BENCH_KEEP'] === '1',
    proxyCpus: pin ? String(cores - 1) : undefined,
    cpus: pin ? (cores === 2 ? '0' : `0-${cores - 2}`) : undefined,
  }
}

/** Fails early, with the fix, when nginx or wrk is not installed. */
function requireTools(): void {
  for (const tool of ['nginx', 'wrk']) {
    if (spawnSync(tool, ['-v'], { stdio: 'ignore' }).error !== undefined) {
      throw new Error(`${tool} is not installed: apt-get install -y nginx-light wrk`)
    }
  }
}

interface ScenarioResult {
  title: string
  summaries: Record<string, Summary>
  ratios: RatioFigures[]
  rounds: Record<string, Measured[]>
}

/**
 * The rounds of one scenario: every target once per round, the order reversed every other
 * round so that no target always runs first (or always right after another) and an A/B ratio
 * is not skewed by what ran before it.
 */
async function runScenario(
  scenario: Scenario,
  s: Settings,
  ctx: RunContext,
): Promise<ScenarioResult | undefined> {
  const targets = scenario.targets.filter((t) => s.targets?.includes(t.name) ?? true)
  if (targets.length === 0) return undefined
  const rounds: Record<string, Measured[]> = {}
  for (let round = 0; round < s.rounds; round++) {
    console.error(`# ${scenario.name}: round ${round + 1}/${s.rounds}`)
    const order = round % 2 === 0 ? targets : [...targets].reverse()
    for (const target of order) (rounds[target.name] ??= []).push(await measure(target, ctx, s))
  }
  const summaries: Record<string, Summary> = {}
  for (const [name, list] of Object.entries(rounds)) summaries[name] = summarise(list)
  const figures = ratios(scenario, summaries)
  printScenario(scenario, summaries, figures)
  return { title: scenario.title, summaries, ratios: figures, rounds }
}

async function main(): Promise<void> {
  requireTools()
  const s = settings()
  const loadStart = loadAverages()
  // Other work on the machine skews every figure; say so rather than print a quiet lie.
  if (loadStart[0]! > 0.5) {
    console.error(`# warning: load average ${loadStart[0]}: req/s will be noisy (CPU/req less so)`)
  }
  const started = Date.now()
  const dir = await mkdtemp(join(tmpdir(), 'pingap-bench-'))
  const otlp = await startOtlpSink()
  const results: Record<string, ScenarioResult> = {}
  try {
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort), s.cpus)
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    const ctx: RunContext = { dir, originPort, proxyCpus: s.proxyCpus, otlp }
    for (const scenario of s.scenarios) {
      const result = await runScenario(scenario, s, ctx)
      if (result !== undefined) results[scenario.name] = result
    }
  } finally {
    await stopAll()
    await otlp.close()
    if (!s.keep) await rm(dir, { recursive: true, force: true })
    else console.error(`# kept ${dir}`)
  }
  const report = {
    date: new Date().toISOString(),
    seconds: Math.round((Date.now() - started) / 1000),
    machine: { ...machineInfo(), loadAverage: { start: loadStart, end: loadAverages() } },
    settings: { ...s, scenarios: s.scenarios.map((sc) => sc.name) },
    scenarios: results,
  }
  const out = new URL('../../bench/results/latest.json', import.meta.url)
  await mkdir(new URL('.', out), { recursive: true })
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
  console.error(`# wrote ${out.pathname} (${report.seconds} s)`)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAll().finally(() => process.exit(130))
  })
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  await stopAll()
  process.exitCode = 1
})
