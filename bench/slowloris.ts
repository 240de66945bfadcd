/**
 * Slow-client attacks against pingap-ts and nginx (hostile-catalogue D1, D2; issue 10): wrk
 * drives normal traffic through each proxy, first alone, then while slowhttptest holds
 * slow-header (slowloris) or slow-body (R-U-Dead-Yet) connections open against the same proxy.
 * The figure that matters is the share of its normal throughput a proxy keeps under attack
 * (the goal is ≥ 80 %). Both proxies get the same client timeouts. Prints a table and writes
 * bench/results/slowloris.json.
 *
 *   npm run build && npm run build:tests && node .build/bench/slowloris.js
 *
 * SLOW_CONNECTIONS (default 1000), SLOW_RATE connections/s (200), SLOW_INTERVAL seconds between
 * slow bytes (2), SLOW_TIMEOUT client timeouts in seconds for both proxies (10), BENCH_DURATION
 * wrk seconds (10), BENCH_CONNECTIONS (50), BENCH_THREADS (2), SLOW_TARGETS (nginx,pingap-ts),
 * SLOW_MODES (headers,body), SLOW_ROUNDS (3: baseline and attacks alternate, medians reported,
 * because one run on a shared machine is noise).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { originConf, proxyConf, startNginx } from './http/nginx.ts'
import { startPingap, writePingapConf } from './http/pingap.ts'
import { freePort, stopAll, stopProcess, waitForHttp, type Tracked } from './http/processes.ts'
import { runWrk, writeWrkScript, type WrkOptions } from './http/wrk.ts'

type Target = 'nginx' | 'pingap-ts'
type Mode = 'headers' | 'body'

interface Settings {
  readonly wrk: WrkOptions
  readonly connections: number
  readonly rate: number
  readonly interval: number
  readonly timeout: number
  readonly targets: readonly Target[]
  readonly modes: readonly Mode[]
  readonly rounds: number
}

interface Row {
  target: Target
  mode: Mode | 'none'
  requestsPerSecond: number
  p99Ms: number
  errors: number
  /** Share of the same proxy's throughput without attack. */
  kept: number
}

function num(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

function list<T extends string>(name: string, fallback: string, allowed: readonly T[]): T[] {
  const items = (process.env[name] ?? fallback).split(',').map((s) => s.trim())
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`unknown ${name} ${item}`)
  }
  return items as T[]
}

function settings(): Settings {
  return {
    wrk: {
      threads: num('BENCH_THREADS', 2),
      connections: num('BENCH_CONNECTIONS', 50),
      duration: num('BENCH_DURATION', 10),
    },
    connections: num('SLOW_CONNECTIONS', 1000),
    rate: num('SLOW_RATE', 200),
    interval: num('SLOW_INTERVAL', 2),
    timeout: num('SLOW_TIMEOUT', 10),
    targets: list('SLOW_TARGETS', 'nginx,pingap-ts', ['nginx', 'pingap-ts'] as const),
    modes: list('SLOW_MODES', 'headers,body', ['headers', 'body'] as const),
    rounds: num('SLOW_ROUNDS', 3),
  }
}

function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`]).status === 0
}

/** nginx's proxy config with the same client timeouts as pingap-ts gets. */
function nginxConf(dir: string, port: number, origin: number, timeout: number): string {
  return proxyConf(dir, port, origin).replace(
    'keepalive_requests 1000000;',
    `keepalive_requests 1000000;\n  client_header_timeout ${timeout}s;\n  client_body_timeout ${timeout}s;\n  send_timeout ${timeout}s;\n  keepalive_timeout ${timeout}s;`,
  )
}

/** Adds the same client timeouts to pingap-ts's server table. */
async function pingapConf(
  dir: string,
  port: number,
  origin: number,
  timeout: number,
): Promise<string> {
  const conf = await writePingapConf(dir, port, origin, undefined)
  const limits =
    `header_read_timeout = "${timeout}s"\nbody_read_timeout = "${timeout}s"\n` +
    `downstream_write_timeout = "${timeout}s"\nkeepalive_timeout = "${timeout}s"\n`
  const { readFile } = await import('node:fs/promises')
  const servers = join(conf, 'servers.toml')
  await writeFile(servers, `${await readFile(servers, 'utf8')}${limits}`)
  return conf
}

/** Starts slowhttptest against `url`; resolves once its connections had time to be opened. */
async function startAttack(
  mode: Mode,
  url: string,
  s: Settings,
  seconds: number,
): Promise<ChildProcess> {
  const args = [
    mode === 'headers' ? '-H' : '-B',
    '-c',
    String(s.connections),
    '-r',
    String(s.rate),
    '-i',
    String(s.interval),
    '-l',
    String(seconds),
    '-s',
    '100000',
    '-x',
    '10',
    '-p',
    '3',
    '-u',
    url,
  ]
  const child = spawn('slowhttptest', args, { stdio: 'ignore' })
  // Ramp-up: connections / rate seconds, plus one for the stragglers.
  const rampMs = Math.ceil(s.connections / s.rate) * 1000 + 1000
  await new Promise((resolve) => setTimeout(resolve, rampMs))
  return child
}

function stopAttack(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  return done
}

async function measure(
  target: Target,
  mode: Mode | 'none',
  url: string,
  s: Settings,
  script: string,
  baseline: number | undefined,
): Promise<Row> {
  let attack: ChildProcess | undefined
  if (mode !== 'none') {
    const seconds = s.wrk.duration + Math.ceil(s.connections / s.rate) + 10
    attack = await startAttack(mode, url.replace(/\/a5\/bench$/, '/a5/slow'), s, seconds)
  }
  try {
    const r = await runWrk(url, s.wrk, script)
    const errors = Object.values(r.errors).reduce((a, b) => a + b, 0)
    const rps = r.requestsPerSecond
    return {
      target,
      mode,
      requestsPerSecond: rps,
      p99Ms: r.latency.p99 / 1000,
      errors,
      kept: baseline === undefined ? 1 : rps / baseline,
    }
  } finally {
    if (attack !== undefined) await stopAttack(attack)
  }
}

async function startTarget(
  target: Target,
  dir: string,
  origin: number,
  s: Settings,
): Promise<{ proc: Tracked; url: string }> {
  const port = await freePort()
  const proc =
    target === 'nginx'
      ? await startNginx(dir, 'proxy', nginxConf(dir, port, origin, s.timeout))
      : startPingap(await pingapConf(dir, port, origin, s.timeout))
  const url = `http://127.0.0.1:${port}/a5/bench`
  await waitForHttp(url, proc)
  return { proc, url }
}

function table(rows: readonly Row[]): string {
  const lines = ['target     attack    req/s     p99 ms  errors  kept']
  for (const r of rows) {
    lines.push(
      `${r.target.padEnd(10)} ${r.mode.padEnd(8)} ${r.requestsPerSecond.toFixed(0).padStart(7)} ` +
        `${r.p99Ms.toFixed(1).padStart(9)} ${String(r.errors).padStart(7)}  ${(r.kept * 100).toFixed(0)} %`,
    )
  }
  return lines.join('\n')
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Median req/s and median share kept per target and attack. */
function summary(rows: readonly Row[]): string {
  const lines = ['median     attack    req/s   kept']
  const keys = [...new Set(rows.map((r) => `${r.target}|${r.mode}`))]
  for (const key of keys) {
    const [target = '', mode = ''] = key.split('|')
    const group = rows.filter((r) => r.target === target && r.mode === mode)
    const rps = median(group.map((r) => r.requestsPerSecond))
    const kept = median(group.map((r) => r.kept))
    lines.push(
      `${target.padEnd(10)} ${mode.padEnd(8)} ${rps.toFixed(0).padStart(7)}  ${(kept * 100).toFixed(0)} %`,
    )
  }
  return lines.join('\n')
}

async function main(): Promise<void> {
  for (const tool of ['nginx', 'wrk', 'slowhttptest']) {
    if (!have(tool)) {
      process.stdout.write(`skipped: ${tool} is not installed (apt-get install ${tool})\n`)
      return
    }
  }
  const s = settings()
  const dir = await mkdtemp(join(tmpdir(), 'pingap-slowloris-'))
  const rows: Row[] = []
  try {
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort))
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    const script = await writeWrkScript(dir)
    for (const target of s.targets) {
      const targetDir = join(dir, target)
      await mkdir(targetDir, { recursive: true })
      const { proc, url } = await startTarget(target, targetDir, originPort, s)
      await runWrk(url, { ...s.wrk, duration: 2 }, script) // warm-up
      for (let round = 0; round < s.rounds; round++) {
        const base = await measure(target, 'none', url, s, script, undefined)
        rows.push(base)
        for (const mode of s.modes) {
          rows.push(await measure(target, mode, url, s, script, base.requestsPerSecond))
        }
      }
      await stopProcess(proc)
    }
    await stopProcess(origin)
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
  process.stdout.write(`${table(rows)}\n\n${summary(rows)}\n`)
  const results = new URL('../../bench/results/', import.meta.url)
  await mkdir(results, { recursive: true })
  await writeFile(
    new URL('slowloris.json', results),
    `${JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), settings: s, rows }, null, 2)}\n`,
  )
}

process.on('SIGINT', () => {
  void stopAll().then(() => process.exit(130))
})

main().catch(async (err: unknown) => {
  await stopAll()
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
