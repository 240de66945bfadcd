/**
 * `npm run bench`: nginx as the origin, then the same load through an nginx proxy (1 worker)
 * and through pingap-ts (1 process, 10 locations, access log on), driven by wrk in one run.
 * Prints a table (req/s, p99, ratio to nginx) and writes bench/results/latest.json.
 * Settings come from the environment; see bench/README.md.
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ORIGIN_BODY, originConf, proxyConf, startNginx } from './http/nginx.ts'
import { startPingap, writePingapConf } from './http/pingap.ts'
import { freePort, stopAll, stopProcess, waitForHttp, type Tracked } from './http/processes.ts'
import { runWrk, writeWrkScript, type WrkOptions, type WrkResult } from './http/wrk.ts'

const TARGETS = ['origin', 'nginx', 'pingap-ts'] as const
type Target = (typeof TARGETS)[number]

interface Settings extends WrkOptions {
  warmup: number
  rounds: number
  path: string
  targets: Target[]
  nginxAccessLog: boolean
  pingapAccessLog: boolean
  keep: boolean
  /** BENCH_PIN=1: the proxy under test on the last CPU, origin and wrk on the others. */
  proxyCpus: string | undefined
}

interface TargetResult extends WrkResult {
  /** Access-log lines written during the measured run (undefined when the log is off). */
  logged?: number
}

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

function pinning(): { proxyCpus: string | undefined; cpus: string | undefined } {
  const cores = cpus().length
  if (process.env['BENCH_PIN'] !== '1' || cores < 2)
    return { proxyCpus: undefined, cpus: undefined }
  return { proxyCpus: String(cores - 1), cpus: cores === 2 ? '0' : `0-${cores - 2}` }
}

function settings(): Settings {
  const targets = (process.env['BENCH_TARGETS'] ?? 'nginx,pingap-ts')
    .split(',')
    .map((t) => t.trim())
  for (const t of targets) {
    if (!(TARGETS as readonly string[]).includes(t))
      throw new Error(`unknown BENCH_TARGETS entry ${t}`)
  }
  return {
    threads: envNumber('BENCH_THREADS', 2),
    connections: envNumber('BENCH_CONNECTIONS', 50),
    duration: envNumber('BENCH_DURATION', 10),
    warmup: envNumber('BENCH_WARMUP', 3),
    rounds: envNumber('BENCH_ROUNDS', 1),
    path: process.env['BENCH_PATH'] ?? '/a5/bench',
    targets: targets as Target[],
    nginxAccessLog: process.env['BENCH_NGINX_ACCESS_LOG'] !== 'off',
    pingapAccessLog: process.env['BENCH_PINGAP_ACCESS_LOG'] !== 'off',
    keep: process.env['BENCH_KEEP'] === '1',
    ...pinning(),
  }
}

const REPO = new URL('../../', import.meta.url)

/** stdout + stderr of a command run in the repo (nginx -v prints on stderr); undefined on failure. */
function tryRun(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { cwd: REPO, encoding: 'utf8' })
  if (result.error !== undefined || result.status !== 0) return undefined
  return `${result.stdout}${result.stderr}`.trim()
}

async function countLines(path: string): Promise<number> {
  const data = await readFile(path).catch(() => Buffer.alloc(0))
  let n = 0
  for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) n++
  return n
}

/** Waits until the log stops growing (writers flush asynchronously), with a deadline. */
async function settledLines(path: string): Promise<number> {
  const deadline = Date.now() + 5000
  let last = -1
  let current = await countLines(path)
  while (current !== last && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    last = current
    current = await countLines(path)
  }
  return current
}

interface Running {
  url: string
  process: Tracked | undefined
  log: string | undefined
}

async function startTarget(
  target: Target,
  s: Settings,
  dir: string,
  originPort: number,
): Promise<Running> {
  if (target === 'origin')
    return { url: `http://127.0.0.1:${originPort}`, process: undefined, log: undefined }
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  if (target === 'nginx') {
    const log = s.nginxAccessLog ? join(dir, 'nginx-access.log') : undefined
    const proc = await startNginx(dir, 'proxy', proxyConf(dir, port, originPort, log), s.proxyCpus)
    return { url, process: proc, log }
  }
  const log = s.pingapAccessLog ? join(dir, 'pingap-access.log') : undefined
  const conf = await writePingapConf(
    dir,
    port,
    originPort,
    log === undefined ? undefined : `${log} combined`,
  )
  return { url, process: startPingap(conf, s.proxyCpus), log }
}

async function measureTarget(
  target: Target,
  s: Settings,
  dir: string,
  originPort: number,
  script: string,
): Promise<TargetResult> {
  const running = await startTarget(target, s, dir, originPort)
  try {
    const url = `${running.url}${s.path}`
    const body =
      running.process === undefined
        ? await (await fetch(url)).text()
        : await waitForHttp(url, running.process)
    if (body !== ORIGIN_BODY)
      throw new Error(
        `${target} answered ${JSON.stringify(body.slice(0, 200))}, not the origin body`,
      )
    console.error(`# ${target}: warm-up ${s.warmup}s`)
    await runWrk(url, { ...s, duration: s.warmup }, script)
    const before = running.log === undefined ? 0 : await settledLines(running.log)
    console.error(`# ${target}: measuring ${s.duration}s`)
    const result: TargetResult = await runWrk(url, s, script)
    if (running.log !== undefined) result.logged = (await settledLines(running.log)) - before
    return result
  } finally {
    if (running.process !== undefined) await stopProcess(running.process)
  }
}

function median(results: TargetResult[]): TargetResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)
  return sorted[Math.floor(sorted.length / 2)]!
}

function ms(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)}ms` : `${Math.round(us)}µs`
}

function printTable(results: Partial<Record<Target, TargetResult>>): void {
  const nginx = results.nginx?.requestsPerSecond
  const rows = [['target', 'req/s', 'p50', 'p99', 'errors', 'logged', 'vs nginx']]
  for (const [target, r] of Object.entries(results)) {
    const errors =
      r.errors.connect + r.errors.read + r.errors.write + r.errors.status + r.errors.timeout
    rows.push([
      target,
      Math.round(r.requestsPerSecond).toLocaleString('en-US'),
      ms(r.latency.p50),
      ms(r.latency.p99),
      String(errors),
      r.logged === undefined ? 'off' : String(r.logged),
      nginx === undefined ? '-' : `${(r.requestsPerSecond / nginx).toFixed(2)}x`,
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '))
}

/** Fails early, with the fix, when nginx or wrk is not installed. */
function requireTools(): void {
  for (const tool of ['nginx', 'wrk']) {
    if (spawnSync(tool, ['-v'], { stdio: 'ignore' }).error !== undefined) {
      throw new Error(`${tool} is not installed: apt-get install -y nginx-light wrk`)
    }
  }
}

async function main(): Promise<void> {
  requireTools()
  const s = settings()
  const load = loadavg()[0]!
  // Other work on the machine skews every figure; say so rather than print a quiet lie.
  if (load > 0.5) console.error(`# warning: load average ${load.toFixed(2)}: figures will be noisy`)
  const dir = await mkdtemp(join(tmpdir(), 'pingap-bench-'))
  try {
    const script = await writeWrkScript(dir)
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort), s.cpus)
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    const rounds: Partial<Record<Target, TargetResult[]>> = {}
    for (let round = 0; round < s.rounds; round++) {
      for (const target of s.targets) {
        ;(rounds[target] ??= []).push(await measureTarget(target, s, dir, originPort, script))
      }
    }
    const results: Partial<Record<Target, TargetResult>> = {}
    for (const [target, list] of Object.entries(rounds)) results[target as Target] = median(list)
    printTable(results)
    await writeResults(s, results, load)
  } finally {
    await stopAll()
    if (!s.keep) await rm(dir, { recursive: true, force: true })
    else console.error(`# kept ${dir}`)
  }
}

async function writeResults(
  s: Settings,
  results: Partial<Record<Target, TargetResult>>,
  loadAtStart: number,
): Promise<void> {
  const nginx = results.nginx?.requestsPerSecond
  const pingap = results['pingap-ts']?.requestsPerSecond
  const report = {
    date: new Date().toISOString(),
    commit: tryRun('git', ['rev-parse', '--short', 'HEAD']),
    dirty: (tryRun('git', ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
    node: process.version,
    nginx: tryRun('nginx', ['-v'])?.replace('nginx version: ', ''),
    wrk: spawnSync('wrk', ['--version'], { encoding: 'utf8' }).stdout.split(' [')[0],
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    loadAverage: { start: loadAtStart, end: loadavg()[0] },
    settings: s,
    ratio: nginx !== undefined && pingap !== undefined ? pingap / nginx : undefined,
    results,
  }
  const out = new URL('bench/results/latest.json', REPO)
  await mkdir(new URL('.', out), { recursive: true })
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
  console.error(`# wrote ${out.pathname}`)
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
