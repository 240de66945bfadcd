/**
 * Content benchmarks (issue 7): pingap-ts's `directory` plugin against nginx serving the same
 * files (1 KB and 1 MB), and a pingap-ts `cache` hit against an nginx `proxy_cache` hit, each
 * proxy one process, access logs off on both sides, driven by wrk. Prints a table and writes
 * bench/results/content-latest.json. Run: `npm run build && npm run build:tests &&
 * node .build/bench/content.js` (settings as bench/README.md: BENCH_DURATION, BENCH_WARMUP,
 * BENCH_THREADS, BENCH_CONNECTIONS, BENCH_PIN, BENCH_SCENARIOS).
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuMicros } from './http/cpu.ts'
import { nginxMain, nginxTempPaths, startNginx } from './http/nginx.ts'
import { startPingap } from './http/pingap.ts'
import { freePort, stopAll, stopProcess, waitForHttp, type Tracked } from './http/processes.ts'
import { runWrk, writeWrkScript, type WrkResult } from './http/wrk.ts'

const SCENARIOS = {
  'static-1k': '/static/1k.bin',
  'static-1m': '/static/1m.bin',
  'cache-hit': '/cached/item',
} as const
type Scenario = keyof typeof SCENARIOS

const CACHED_BODY = 'x'.repeat(1024)

function env(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

function pins(): { proxy: string | undefined; others: string | undefined } {
  const n = cpus().length
  if (process.env['BENCH_PIN'] !== '1' || n < 2) return { proxy: undefined, others: undefined }
  return { proxy: String(n - 1), others: n === 2 ? '0' : `0-${n - 2}` }
}

function nginxCommon(dir: string, name: string): string {
  return `${nginxMain(dir, name)}http {
  access_log off;
  keepalive_requests 1000000;
${nginxTempPaths(dir, name)}
`
}

/** The origin of the cache scenario: 1 KB, cacheable for an hour. */
function originConf(dir: string, port: number): string {
  return `${nginxCommon(dir, 'origin')}  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      add_header Cache-Control "max-age=3600";
      return 200 '${CACHED_BODY}';
    }
  }
}
`
}

/** nginx under test: static files with sendfile, and proxy_cache in front of the origin. */
function nginxConf(dir: string, port: number, originPort: number, www: string): string {
  return `${nginxCommon(dir, 'nginx')}  sendfile on;
  proxy_cache_path ${join(dir, 'nginx-cache')} levels=1:2 keys_zone=bench:10m max_size=100m;
  upstream origin { server 127.0.0.1:${originPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location /static/ { alias ${www}/; }
    location /cached/ {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      proxy_cache_valid 200 1h;
    }
  }
}
`
}

async function pingapConf(
  dir: string,
  port: number,
  originPort: number,
  www: string,
): Promise<string> {
  const conf = join(dir, 'pingap-conf')
  await mkdir(conf, { recursive: true })
  await writeFile(
    join(conf, 'pingap.toml'),
    `[basic]
threads = 1

[servers.bench]
addr = "127.0.0.1:${port}"
locations = ["static", "cached"]

[locations.static]
path = "/static/"
rewrite = "^/static/(.*)$ /$1"
plugins = ["files"]

[locations.cached]
path = "/cached/"
upstream = "origin"
plugins = ["cache"]

[upstreams.origin]
addrs = ["127.0.0.1:${originPort}"]

[plugins.files]
category = "directory"
path = ${JSON.stringify(www)}

[plugins.cache]
category = "cache"
directory = "memory://?max_size=64mb"
`,
  )
  return conf
}

/** A wrk run plus the CPU the proxy spent per request: steadier than req/s on a busy machine. */
interface Measured extends WrkResult {
  cpuMicrosPerRequest: number
}

async function measure(
  url: string,
  proc: Tracked,
  script: string,
  s: { threads: number; connections: number; duration: number; warmup: number },
  cpu: string | undefined,
): Promise<Measured> {
  await waitForHttp(url, proc)
  await runWrk(url, { ...s, duration: s.warmup, cpus: cpu }, script)
  const before = cpuMicros(proc.child.pid)
  const result = await runWrk(url, { ...s, cpus: cpu }, script)
  const used = cpuMicros(proc.child.pid) - before
  return { ...result, cpuMicrosPerRequest: used / Math.max(1, result.requests) }
}

async function main(): Promise<void> {
  for (const tool of ['nginx', 'wrk']) {
    if (spawnSync(tool, ['-v'], { stdio: 'ignore' }).error !== undefined) {
      throw new Error(`${tool} is not installed: apt-get install -y nginx-light wrk`)
    }
  }
  const settings = {
    threads: env('BENCH_THREADS', 2),
    connections: env('BENCH_CONNECTIONS', 50),
    duration: env('BENCH_DURATION', 10),
    warmup: env('BENCH_WARMUP', 3),
  }
  const wanted = (process.env['BENCH_SCENARIOS'] ?? Object.keys(SCENARIOS).join(','))
    .split(',')
    .map((s) => s.trim()) as Scenario[]
  const load = loadavg()[0]!
  if (load > 0.5) console.error(`# warning: load average ${load.toFixed(2)}: figures will be noisy`)
  const pin = pins()
  const dir = await mkdtemp(join(tmpdir(), 'pingap-bench-content-'))
  const results: Record<
    string,
    { nginx: Measured; pingap: Measured; ratio: number; cpuRatio: number }
  > = {}
  try {
    const www = join(dir, 'www')
    await mkdir(www)
    await writeFile(join(www, '1k.bin'), Buffer.alloc(1024, 'k'))
    await writeFile(join(www, '1m.bin'), Buffer.alloc(1024 * 1024, 'm'))
    const script = await writeWrkScript(dir)
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort), pin.others)
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    for (const scenario of wanted) {
      const path = SCENARIOS[scenario]
      if (path === undefined) throw new Error(`unknown scenario ${scenario}`)
      const nginxPort = await freePort()
      const nginx = await startNginx(
        dir,
        'nginx',
        nginxConf(dir, nginxPort, originPort, www),
        pin.proxy,
      )
      console.error(`# ${scenario}: nginx`)
      const n = await measure(
        `http://127.0.0.1:${nginxPort}${path}`,
        nginx,
        script,
        settings,
        pin.others,
      )
      await stopProcess(nginx)
      const pingapPort = await freePort()
      const conf = await pingapConf(dir, pingapPort, originPort, www)
      const pingap = startPingap(conf, pin.proxy)
      console.error(`# ${scenario}: pingap-ts`)
      const p = await measure(
        `http://127.0.0.1:${pingapPort}${path}`,
        pingap,
        script,
        settings,
        pin.others,
      )
      await stopProcess(pingap)
      results[scenario] = {
        nginx: n,
        pingap: p,
        ratio: p.requestsPerSecond / n.requestsPerSecond,
        cpuRatio: n.cpuMicrosPerRequest / p.cpuMicrosPerRequest,
      }
    }
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
  console.log(
    'scenario   nginx req/s  pingap-ts req/s  ratio  nginx µs CPU/req  pingap-ts µs CPU/req  CPU ratio',
  )
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `${name.padEnd(10)} ${Math.round(r.nginx.requestsPerSecond).toString().padStart(11)}  ` +
        `${Math.round(r.pingap.requestsPerSecond).toString().padStart(15)}  ${r.ratio.toFixed(2)}x  ` +
        `${r.nginx.cpuMicrosPerRequest.toFixed(0).padStart(16)}  ` +
        `${r.pingap.cpuMicrosPerRequest.toFixed(0).padStart(20)}  ${r.cpuRatio.toFixed(2)}x`,
    )
  }
  const out = new URL('../../bench/results/content-latest.json', import.meta.url)
  await mkdir(new URL('.', out), { recursive: true })
  await writeFile(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, load, settings, pinned: pin.proxy !== undefined, results }, null, 2)}\n`,
  )
  console.error(`# wrote ${out.pathname}`)
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  await stopAll()
  process.exitCode = 1
})
