/**
 * TLS and HTTP/2 benchmarks (issue 5): pingap-ts against an nginx proxy (1 worker) with the same
 * certificate (ECDSA P-256) and the same 10 locations in front of the plain nginx origin, access
 * logs off on both sides. Scenarios:
 * - `https-keepalive`: wrk over HTTPS, keep-alive connections (TLS record cost);
 * - `https-new-conn`: wrk with `Connection: close`, a full handshake per request;
 * - `h2`: h2load, 10 connections × 10 concurrent streams (HTTP/2 over TLS).
 * Prints req/s and each proxy's CPU time per request (from /proc), writes
 * bench/results/tls-latest.json. Run: `npm run build && npm run build:tests &&
 * node .build/bench/tls.js` (BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_THREADS,
 * BENCH_PIN, BENCH_SCENARIOS as in bench/README.md).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { get } from 'node:https'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeCert } from '../test/helpers/certs.ts'
import { cpuMicros } from './http/cpu.ts'
import {
  LOCATION_PREFIXES,
  ORIGIN_BODY,
  nginxMain,
  nginxTempPaths,
  originConf,
  startNginx,
} from './http/nginx.ts'
import { startPingap } from './http/pingap.ts'
import { freePort, pinned, stopAll, stopProcess, type Tracked } from './http/processes.ts'
import { runWrk, writeWrkScript } from './http/wrk.ts'

const SCENARIOS = ['https-keepalive', 'https-new-conn', 'h2'] as const
type Scenario = (typeof SCENARIOS)[number]
const PATH = '/a5/bench'

function env(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

const settings = {
  duration: env('BENCH_DURATION', 10),
  warmup: env('BENCH_WARMUP', 3),
  threads: env('BENCH_THREADS', 2),
  connections: env('BENCH_CONNECTIONS', 50),
}

function pins(): { proxy: string | undefined; others: string | undefined } {
  const n = cpus().length
  if (process.env['BENCH_PIN'] !== '1' || n < 2) return { proxy: undefined, others: undefined }
  return { proxy: String(n - 1), others: n === 2 ? '0' : `0-${n - 2}` }
}

function nginxTlsConf(dir: string, port: number, originPort: number): string {
  const locations = LOCATION_PREFIXES.map((p) => `    location ${p} { proxy_pass http://origin; }`)
  return `${nginxMain(dir, 'tls')}http {
  access_log off;
  keepalive_requests 1000000;
  http2_max_concurrent_streams 100;
${nginxTempPaths(dir, 'tls')}
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 64;
  }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Host $host;
  server {
    listen 127.0.0.1:${port} ssl http2 backlog=4096;
    ssl_certificate ${join(dir, 'cert.pem')};
    ssl_certificate_key ${join(dir, 'key.pem')};
    ssl_protocols TLSv1.2 TLSv1.3;
${locations.join('\n')}
  }
}
`
}

async function pingapTlsConf(dir: string, port: number, originPort: number): Promise<string> {
  const conf = join(dir, 'pingap-tls')
  await mkdir(conf, { recursive: true })
  const name = (p: string): string => (p === '/' ? 'root' : p.slice(1))
  const locations = LOCATION_PREFIXES.map(
    (p) => `[locations.${name(p)}]\nupstream = "origin"\npath = "${p}"\n`,
  )
  await writeFile(
    join(conf, 'pingap.toml'),
    [
      '[basic]\nname = "bench"\nthreads = 1\n',
      `[upstreams.origin]\naddrs = ["127.0.0.1:${originPort}"]\n`,
      ...locations,
      `[servers.bench]\naddr = "127.0.0.1:${port}"\nglobal_certificates = true\nenabled_h2 = true\n` +
        `locations = ${JSON.stringify(LOCATION_PREFIXES.map(name))}\n`,
      `[certificates.bench]\ntls_cert = "${join(dir, 'cert.pem')}"\n` +
        `tls_key = "${join(dir, 'key.pem')}"\nis_default = true\n`,
    ].join('\n'),
  )
  return conf
}

/** Polls an HTTPS URL (certificate not checked) until it answers the origin body. */
async function waitForHttps(url: string, proc: Tracked): Promise<void> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const body = await new Promise<string>((resolve) => {
      get(url, { rejectUnauthorized: false }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve(text))
      }).on('error', () => resolve(''))
    })
    if (body === ORIGIN_BODY) return
    if (proc.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${proc.name} not ready at ${url}: ${proc.stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

interface Result {
  readonly requestsPerSecond: number
  readonly requests: number
  readonly failed: number
  readonly cpuMicrosPerRequest: number
}

/** Runs h2load for `seconds`; returns req/s, requests done and failures. */
async function runH2load(url: string, seconds: number, cpu: string | undefined) {
  const args = ['-c', '10', '-m', '10', '-D', String(seconds), url]
  const child = spawn(...pinned(cpu, 'h2load', args), { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const rate = /finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out)
  const counts = /requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed/.exec(
    out,
  )
  if (code !== 0 || rate === null || counts === null) throw new Error(`h2load failed:\n${out}`)
  return {
    requestsPerSecond: Number(rate[1]),
    requests: Number(counts[2]),
    failed: Number(counts[3]),
  }
}

async function measure(
  scenario: Scenario,
  url: string,
  proc: Tracked,
  scripts: { keepalive: string; close: string },
): Promise<Result> {
  const cpu = pins().others
  const run = async (seconds: number) => {
    if (scenario === 'h2') return runH2load(url, seconds, cpu)
    const script = scenario === 'https-new-conn' ? scripts.close : scripts.keepalive
    const r = await runWrk(url, { ...settings, duration: seconds, cpus: cpu }, script)
    const failed = r.errors.connect + r.errors.read + r.errors.write + r.errors.status
    return { requestsPerSecond: r.requestsPerSecond, requests: r.requests, failed }
  }
  await run(settings.warmup)
  const before = cpuMicros(proc.child.pid)
  const result = await run(settings.duration)
  const used = cpuMicros(proc.child.pid) - before
  return { ...result, cpuMicrosPerRequest: used / Math.max(1, result.requests) }
}

async function main(): Promise<void> {
  for (const tool of ['nginx', 'wrk', 'h2load']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error !== undefined) {
      throw new Error(`${tool} is not installed: apt-get install -y nginx-light wrk nghttp2-client`)
    }
  }
  const wanted = (process.env['BENCH_SCENARIOS'] ?? SCENARIOS.join(',')).split(',') as Scenario[]
  const load = loadavg()[0]!
  if (load > 0.5) console.error(`# warning: load average ${load.toFixed(2)}: figures will be noisy`)
  const dir = await mkdtemp(join(tmpdir(), 'pingap-bench-tls-'))
  const { proxy, others } = pins()
  try {
    const cert = await makeCert({ dns: ['localhost'], ips: ['127.0.0.1'] })
    await writeFile(join(dir, 'cert.pem'), cert.cert)
    await writeFile(join(dir, 'key.pem'), cert.key)
    const keepalive = await writeWrkScript(dir)
    const close = join(dir, 'close.lua')
    await writeFile(
      close,
      `wrk.headers["Connection"] = "close"\n${await readFile(keepalive, 'utf8')}`,
    )
    const originPort = await freePort()
    await startNginx(dir, 'origin', originConf(dir, originPort), others)
    const results: Record<string, Record<string, Result>> = {}
    for (const target of ['nginx', 'pingap-ts'] as const) {
      const port = await freePort()
      const proc =
        target === 'nginx'
          ? await startNginx(dir, 'tls', nginxTlsConf(dir, port, originPort), proxy)
          : startPingap(await pingapTlsConf(dir, port, originPort), proxy)
      const url = `https://127.0.0.1:${port}${PATH}`
      try {
        await waitForHttps(url, proc)
        for (const scenario of wanted) {
          console.error(
            `# ${target} ${scenario}: warm-up ${settings.warmup}s, ${settings.duration}s`,
          )
          ;(results[scenario] ??= {})[target] = await measure(scenario, url, proc, {
            keepalive,
            close,
          })
        }
      } finally {
        await stopProcess(proc)
      }
    }
    const rows = [['scenario', 'target', 'req/s', 'CPU µs/req', 'failed', 'vs nginx']]
    for (const [scenario, byTarget] of Object.entries(results)) {
      const base = byTarget['nginx']
      for (const [target, r] of Object.entries(byTarget)) {
        const ratio =
          base === undefined ? '-' : (r.requestsPerSecond / base.requestsPerSecond).toFixed(2)
        rows.push([
          scenario,
          target,
          Math.round(r.requestsPerSecond).toLocaleString('en-US'),
          r.cpuMicrosPerRequest.toFixed(1),
          String(r.failed),
          `${ratio}x`,
        ])
      }
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
    for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i]!)).join('  '))
    const out = new URL('../../bench/results/tls-latest.json', import.meta.url)
    await mkdir(new URL('.', out), { recursive: true })
    const report = { date: new Date().toISOString(), node: process.version, cores: cpus().length }
    await writeFile(out, `${JSON.stringify({ ...report, load, settings, results }, null, 2)}\n`)
    console.error(`# wrote ${out.pathname}`)
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  await stopAll()
  process.exitCode = 1
})
