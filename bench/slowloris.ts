/**
 * Slow-client attacks against pingap-ts and nginx (hostile-catalogue D1, D2; issue 10): wrk
 * drives normal traffic through each proxy, first alone, then while slowhttptest holds
 * slow-header (slowloris) or slow-body (R-U-Dead-Yet) connections open against the same proxy.
 * The figure that matters is the share of its normal throughput a proxy keeps under attack
 * (the goal is ≥ 80 %). Both proxies get the same client timeouts. Without slowhttptest a
 * built-in attacker sends the same shapes (the reason is printed). Prints a table (with how many
 * attack connections each proxy held open) and writes bench/results/slowloris-latest.json.
 * On a shared machine req/s swing with everything else running; `kept(CPU)` (the proxy's own CPU
 * time per request, baseline ÷ under attack) and the proxy's CPU on the attack alone do not.
 *
 *   npm run build && npm run build:tests && node .build/bench/slowloris.js
 *
 * SLOW_CONNECTIONS (default 1000), SLOW_RATE connections/s (200), SLOW_INTERVAL seconds between
 * slow bytes (2), SLOW_TIMEOUT client timeouts in seconds for both proxies (10), BENCH_DURATION
 * wrk seconds (10), BENCH_CONNECTIONS (50), BENCH_THREADS (2), SLOW_TARGETS (nginx,pingap-ts),
 * SLOW_MODES (headers,body,control: control aims the attack at an idle decoy nginx on the load
 * CPUs, which measures what the attacker costs wrk and the origin), SLOW_ROUNDS (3: baseline and attacks alternate, medians reported,
 * because one run on a shared machine is noise), SLOW_TOOL=built-in forces the fallback.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { originConf, proxyConf, startNginx } from './http/nginx.ts'
import { startPingap, writePingapConf } from './http/pingap.ts'
import { freePort, stopAll, stopProcess, waitForHttp, type Tracked } from './http/processes.ts'
import { fallbackReason, startAttack, type Attack } from './http/slow-attack.ts'
import { runWrk, writeWrkScript, type WrkOptions } from './http/wrk.ts'

type Target = 'nginx' | 'pingap-ts'
/** `control`: the slow-header attack aimed at a decoy, so only the harness's own cost shows. */
type Mode = 'headers' | 'body' | 'control'

interface Settings {
  readonly wrk: WrkOptions
  readonly connections: number
  readonly rate: number
  readonly interval: number
  readonly timeout: number
  readonly targets: readonly Target[]
  readonly modes: readonly Mode[]
  readonly rounds: number
  /** taskset CPU lists: the proxy alone on one core, the load side (wrk, origin, attacker). */
  readonly proxyCpus: string | undefined
  readonly loadCpus: string | undefined
}

interface Row {
  target: Target
  mode: Mode | 'none'
  requestsPerSecond: number
  p99Ms: number
  errors: number
  /** Share of the same proxy's throughput without attack. */
  kept: number
  /** The attacker, and the most / last of its connections the proxy held open. */
  tool?: string
  peakConnected?: number
  endConnected?: number
  /** The proxy's CPU time per normal request (µs), and the share kept by that measure. */
  cpuUsPerRequest: number
  /**
   * Baseline CPU per request / CPU per request under attack: the throughput a CPU-bound proxy
   * keeps, read from its own CPU time, so other processes on a shared machine barely move it.
   */
  keptCpu: number
  /** CPU the proxy spent on the attack alone (no wrk), % of one core. */
  attackCpuPct?: number | undefined
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
  const cores = cpus().length
  // The attacker is a CPU hog of its own: pinned, it competes with wrk, not with the proxy.
  const pin = process.env['BENCH_PIN'] !== '0' && cores >= 2
  const load = cores === 2 ? '0' : `0-${cores - 2}`
  return {
    wrk: {
      threads: num('BENCH_THREADS', 2),
      connections: num('BENCH_CONNECTIONS', 50),
      duration: num('BENCH_DURATION', 10),
      cpus: pin ? load : undefined,
    },
    proxyCpus: pin ? String(cores - 1) : undefined,
    loadCpus: pin ? load : undefined,
    connections: num('SLOW_CONNECTIONS', 1000),
    rate: num('SLOW_RATE', 200),
    interval: num('SLOW_INTERVAL', 2),
    timeout: num('SLOW_TIMEOUT', 60),
    targets: list('SLOW_TARGETS', 'nginx,pingap-ts', ['nginx', 'pingap-ts'] as const),
    modes: list('SLOW_MODES', 'headers,body,control', ['headers', 'body', 'control'] as const),
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

/** CPU seconds (user + system) used so far by `pid`, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** The share of one core `pid` uses over the next `ms` milliseconds. */
async function cpuPercent(pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid)
  await new Promise((resolve) => setTimeout(resolve, ms))
  return ((cpuSeconds(pid) - before) / (ms / 1000)) * 100
}

async function measure(
  target: Target,
  pid: number,
  mode: Mode | 'none',
  url: string,
  s: Settings,
  script: string,
  baseline: Row | undefined,
  decoy: string,
): Promise<Row> {
  let attack: Attack | undefined
  if (mode !== 'none') {
    attack = await startAttack({
      mode: mode === 'control' ? 'headers' : mode,
      url: mode === 'control' ? decoy : url.replace(/\/a5\/bench$/, '/a5/slow'),
      connections: s.connections,
      rate: s.rate,
      interval: s.interval,
      // Outlasts the wrk run; stop() ends it as soon as wrk is done.
      seconds: s.wrk.duration + Math.ceil(s.connections / s.rate) + 10,
      reportPrefix: join(dirname(script), `slow-${target}-${mode}-${Date.now()}`),
      cpus: s.loadCpus,
    })
  }
  const attackCpuPct = attack === undefined ? undefined : await cpuPercent(pid, 2_000)
  try {
    const cpuBefore = cpuSeconds(pid)
    const r = await runWrk(url, s.wrk, script)
    const cpuUsPerRequest = ((cpuSeconds(pid) - cpuBefore) * 1e6) / Math.max(1, r.requests)
    const errors = Object.values(r.errors).reduce((a, b) => a + b, 0)
    const rps = r.requestsPerSecond
    return {
      target,
      mode,
      requestsPerSecond: rps,
      p99Ms: r.latency.p99 / 1000,
      errors,
      kept: baseline === undefined ? 1 : rps / baseline.requestsPerSecond,
      cpuUsPerRequest,
      keptCpu: baseline === undefined ? 1 : baseline.cpuUsPerRequest / cpuUsPerRequest,
      ...(attack !== undefined ? { ...(await attack.stop()), attackCpuPct } : {}),
    }
  } finally {
    await attack?.stop()
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
      ? await startNginx(dir, 'proxy', nginxConf(dir, port, origin, s.timeout), s.proxyCpus)
      : startPingap(await pingapConf(dir, port, origin, s.timeout), s.proxyCpus)
  const url = `http://127.0.0.1:${port}/a5/bench`
  await waitForHttp(url, proc)
  return { proc, url }
}

function table(rows: readonly Row[]): string {
  const lines = [
    'target     attack    req/s     p99 ms  errors  kept   µs/req  kept(CPU)  held (peak/end)  proxy CPU on attack alone',
  ]
  for (const r of rows) {
    const held =
      r.peakConnected === undefined
        ? ''
        : `${`${r.peakConnected}/${r.endConnected ?? 0}`.padEnd(16)} ${(r.attackCpuPct ?? 0).toFixed(1)} %`
    lines.push(
      `${r.target.padEnd(10)} ${r.mode.padEnd(8)} ${r.requestsPerSecond.toFixed(0).padStart(7)} ` +
        `${r.p99Ms.toFixed(1).padStart(9)} ${String(r.errors).padStart(7)}  ` +
        `${`${(r.kept * 100).toFixed(0)} %`.padEnd(6)} ${r.cpuUsPerRequest.toFixed(0).padStart(6)}  ` +
        `${`${(r.keptCpu * 100).toFixed(0)} %`.padEnd(9)}  ${held}`,
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
  const lines = ['median     attack    req/s   kept   µs/req  kept(CPU)  vs control']
  const keys = [...new Set(rows.map((r) => `${r.target}|${r.mode}`))]
  for (const key of keys) {
    const [target = '', mode = ''] = key.split('|')
    const group = rows.filter((r) => r.target === target && r.mode === mode)
    const rps = median(group.map((r) => r.requestsPerSecond))
    const kept = median(group.map((r) => r.kept))
    const cpu = median(group.map((r) => r.cpuUsPerRequest))
    const keptCpu = median(group.map((r) => r.keptCpu))
    // Under attack ÷ attack aimed at the decoy: the harness's own cost cancels out.
    const control = rows.filter((r) => r.target === target && r.mode === 'control')
    const vsControl =
      control.length === 0 || mode === 'none' || mode === 'control'
        ? ''
        : `${((rps / median(control.map((r) => r.requestsPerSecond))) * 100).toFixed(0)} %`
    lines.push(
      `${target.padEnd(10)} ${mode.padEnd(8)} ${rps.toFixed(0).padStart(7)}  ` +
        `${`${(kept * 100).toFixed(0)} %`.padEnd(6)} ${cpu.toFixed(0).padStart(6)}  ` +
        `${`${(keptCpu * 100).toFixed(0)} %`.padEnd(9)}  ${vsControl}`,
    )
  }
  return lines.join('\n')
}

async function main(): Promise<void> {
  for (const tool of ['nginx', 'wrk']) {
    if (!have(tool)) {
      process.stdout.write(`skipped: ${tool} is not installed (apt-get install ${tool})\n`)
      return
    }
  }
  const fallback = fallbackReason()
  const tool = fallback === undefined ? 'slowhttptest' : 'built-in'
  process.stdout.write(
    fallback === undefined
      ? 'attacker: slowhttptest\n'
      : `attacker: built-in slow client, because ${fallback}\n`,
  )
  const s = settings()
  const dir = await mkdtemp(join(tmpdir(), 'pingap-slowloris-'))
  const rows: Row[] = []
  try {
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort), s.loadCpus)
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    const script = await writeWrkScript(dir)
    const decoyPort = await freePort()
    const decoyDir = join(dir, 'decoy')
    await mkdir(decoyDir, { recursive: true })
    const decoy = await startNginx(decoyDir, 'origin', originConf(decoyDir, decoyPort), s.loadCpus)
    const decoyUrl = `http://127.0.0.1:${decoyPort}/slow`
    await waitForHttp(decoyUrl, decoy)
    for (const target of s.targets) {
      const targetDir = join(dir, target)
      await mkdir(targetDir, { recursive: true })
      const { proc, url } = await startTarget(target, targetDir, originPort, s)
      await runWrk(url, { ...s.wrk, duration: 2 }, script) // warm-up
      const pid = proc.child.pid ?? 0
      for (let round = 0; round < s.rounds; round++) {
        const base = await measure(target, pid, 'none', url, s, script, undefined, decoyUrl)
        rows.push(base)
        for (const mode of s.modes) {
          rows.push(await measure(target, pid, mode, url, s, script, base, decoyUrl))
        }
      }
      await stopProcess(proc)
    }
    await stopProcess(origin)
    await stopProcess(decoy)
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
  process.stdout.write(`${table(rows)}\n\n${summary(rows)}\n`)
  const results = new URL('../../bench/results/', import.meta.url)
  await mkdir(results, { recursive: true })
  await writeFile(
    new URL('slowloris-latest.json', results),
    `${JSON.stringify({ date: new Date().toISOString(), tool, fallback, cpus: cpus().length, loadavg: loadavg(), settings: s, rows }, null, 2)}\n`,
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
