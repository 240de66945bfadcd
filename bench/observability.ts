/**
 * The cost of observability on the main scenario (nginx origin, pingap-ts with 10 locations):
 * the same load with metrics off, with `prometheus_metrics`, with `otlp_exporter` (spans
 * exported to an OTLP/HTTP receiver in this process) and with both. Variants are interleaved
 * round by round and the median is reported, as req/s and as CPU time per request of the
 * pingap-ts process (read from /proc, less sensitive to other load than req/s).
 * Run: `npm run build && npm run build:tests && node .build/bench/observability.js`.
 * Settings: BENCH_DURATION (s, default 8), BENCH_WARMUP (2), BENCH_ROUNDS (3),
 * BENCH_CONNECTIONS (50), BENCH_ACCESS_LOG (off; `on` adds the combined access log),
 * BENCH_VARIANTS (all; e.g. `tracing`).
 */
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOCATION_PREFIXES, ORIGIN_BODY, originConf, startNginx } from './http/nginx.ts'
import { startPingap } from './http/pingap.ts'
import { freePort, stopAll, stopProcess, waitForHttp } from './http/processes.ts'
import { runWrk, writeWrkScript } from './http/wrk.ts'

const ALL_VARIANTS = ['off', 'metrics', 'tracing', 'both'] as const
type Variant = (typeof ALL_VARIANTS)[number]
/** BENCH_VARIANTS=off,tracing measures a subset (`off` is always included). */
const VARIANTS: readonly Variant[] = ALL_VARIANTS.filter(
  (v) => v === 'off' || (process.env['BENCH_VARIANTS'] ?? v).split(',').includes(v),
)

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback)
const DURATION = num('BENCH_DURATION', 8)
const WARMUP = num('BENCH_WARMUP', 2)
const ROUNDS = num('BENCH_ROUNDS', 3)
const CONNECTIONS = num('BENCH_CONNECTIONS', 50)
const ACCESS_LOG = process.env['BENCH_ACCESS_LOG'] === 'on'
/** Linux clock ticks per second (USER_HZ). */
const TICKS = 100

/** CPU seconds (user + system) used so far by `pid`. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS
}

async function otlpSink(): Promise<{ port: number; spans: () => number; close(): void }> {
  let bytes = 0
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length))
    req.on('end', () => res.end('{}'))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    spans: () => bytes,
    close: () => server.close(),
  }
}

async function writeConf(
  dir: string,
  variant: Variant,
  port: number,
  originPort: number,
  otlpPort: number,
): Promise<string> {
  const conf = join(dir, `conf-${variant}`)
  await mkdir(conf, { recursive: true })
  const name = (prefix: string): string => (prefix === '/' ? 'root' : prefix.slice(1))
  const locations = LOCATION_PREFIXES.map(
    (p) => `[locations.${name(p)}]\nupstream = "origin"\npath = "${p}"\n`,
  )
  const extra: string[] = []
  if (variant === 'metrics' || variant === 'both') extra.push('prometheus_metrics = "/metrics"')
  if (variant === 'tracing' || variant === 'both') {
    extra.push(`otlp_exporter = "http://127.0.0.1:${otlpPort}/v1/traces"`)
  }
  if (ACCESS_LOG) extra.push(`access_log = "${join(dir, `access-${variant}.log`)} combined"`)
  const toml = [
    '[basic]\nname = "bench"\n',
    `[upstreams.origin]\naddrs = ["127.0.0.1:${originPort}"]\n`,
    ...locations,
    `[servers.bench]\naddr = "127.0.0.1:${port}"`,
    `locations = ${JSON.stringify(LOCATION_PREFIXES.map(name))}`,
    ...extra,
    '',
  ].join('\n')
  await writeFile(join(conf, 'pingap.toml'), toml)
  return conf
}

interface Sample {
  rps: number
  cpuUsPerRequest: number
  p99: number
}

async function measure(
  dir: string,
  variant: Variant,
  originPort: number,
  otlpPort: number,
  script: string,
): Promise<Sample> {
  const port = await freePort()
  const proc = startPingap(await writeConf(dir, variant, port, originPort, otlpPort))
  try {
    const url = `http://127.0.0.1:${port}/a5/bench`
    if ((await waitForHttp(url, proc)) !== ORIGIN_BODY) throw new Error(`${variant}: wrong body`)
    const wrk = { threads: 2, connections: CONNECTIONS }
    await runWrk(url, { ...wrk, duration: WARMUP }, script)
    const pid = proc.child.pid!
    const before = cpuSeconds(pid)
    const r = await runWrk(url, { ...wrk, duration: DURATION }, script)
    const cpu = cpuSeconds(pid) - before
    return {
      rps: r.requestsPerSecond,
      cpuUsPerRequest: (cpu * 1e6) / r.requests,
      p99: r.latency.p99,
    }
  } finally {
    await stopProcess(proc)
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pingap-bench-obs-'))
  const sink = await otlpSink()
  try {
    const script = await writeWrkScript(dir)
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort))
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    const samples = new Map<Variant, Sample[]>(VARIANTS.map((v) => [v, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of VARIANTS) {
        console.error(`# round ${round + 1}/${ROUNDS}: ${variant}`)
        samples.get(variant)!.push(await measure(dir, variant, originPort, sink.port, script))
      }
    }
    const base = samples.get('off')!
    const baseRps = median(base.map((s) => s.rps))
    const baseCpu = median(base.map((s) => s.cpuUsPerRequest))
    const bestCpu = (v: Variant): number =>
      Math.min(...samples.get(v)!.map((s) => s.cpuUsPerRequest))
    console.log('variant   req/s    vs off   CPU µs/req  vs off   p99      best CPU µs/req  vs off')
    for (const variant of VARIANTS) {
      const list = samples.get(variant)!
      const rps = median(list.map((s) => s.rps))
      const cpu = median(list.map((s) => s.cpuUsPerRequest))
      const p99 = median(list.map((s) => s.p99))
      console.log(
        [
          variant.padEnd(8),
          Math.round(rps).toString().padStart(6),
          `${(((rps - baseRps) / baseRps) * 100).toFixed(1)}%`.padStart(8),
          cpu.toFixed(1).padStart(11),
          `${(((cpu - baseCpu) / baseCpu) * 100).toFixed(1)}%`.padStart(8),
          `${(p99 / 1000).toFixed(2)}ms`.padStart(8),
          bestCpu(variant).toFixed(1).padStart(16),
          `${(((bestCpu(variant) - bestCpu('off')) / bestCpu('off')) * 100).toFixed(1)}%`.padStart(
            8,
          ),
        ].join(' '),
      )
    }
    console.error(`# OTLP bytes received: ${sink.spans()}`)
  } finally {
    sink.close()
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  await stopAll()
  process.exitCode = 1
})
