/**
 * Scale benchmark (issue 4): a config of 10,000 locations over 500 upstreams across 50 hosts.
 * Measures load + validate + build + swap time, memory per location, throughput with 10,000
 * against 10 locations, and the longest stall a ping client sees while the config is reloaded
 * under load. Usage: `npm run build && npm run build:tests && node .build/bench/scale.js`
 * (`SCALE_PHASES=build` for the in-process part only; see bench/README.md).
 */
// The in-process phases run with the same V8 flags as bin/pingap-ts.
import '../src/core/gc-flags.ts'
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { Agent, request as httpRequest } from 'node:http'
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { App, buildDeps } from '../src/app.ts'
import { decodeConfig, encodeConfig } from '../src/cluster/config-codec.ts'
import { parseConfig } from '../src/config/parse.ts'
import { openConfigStore } from '../src/config/store.ts'
import { diffConfigs } from '../src/control/versions.ts'
import { buildSnapshot } from '../src/runtime/build.ts'
import { Runtime } from '../src/runtime/runtime.ts'
import { originConf, proxyConf, startNginx } from './http/nginx.ts'
import { BIG, SMALL, scaleTarget, writeScaleConf, type ScaleShape } from './http/scale-config.ts'
import { PINGAP_BIN, writePingapConf } from './http/pingap.ts'
import { freePort, stopAll, stopProcess, waitForHttp } from './http/processes.ts'
import { runWrk, writeWrkScript } from './http/wrk.ts'

function gc(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
  ;(runInNewContext('gc') as () => void)()
}

/**
 * In-process timings use CPU time by default (SCALE_CLOCK=wall for wall time): on a machine
 * that other work shares, wall time measures the scheduler; CPU time measures our work, and
 * equals wall time on an idle machine for this single-threaded code (GC helpers add a little).
 */
const CLOCK = process.env['SCALE_CLOCK'] === 'wall' ? 'wall' : 'cpu'
function now(): number {
  if (CLOCK === 'wall') return performance.now()
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const ms = (from: number): number => Math.round((now() - from) * 10) / 10

interface BuildFigures {
  locations: number
  loadMs: number
  parseMs: number
  buildMs: number
  reloadLoadMs: number
  reloadParseMs: number
  reloadApplyMs: number
  /** The version log's diff of the two versions (audit entry). */
  reloadDiffMs: number
  /** The primary's encoding of a version for the workers. */
  encodeMs: number
  heapMb: number
  bytesPerLocation: number
}

/** In-process: load, parse, build the first snapshot, then one reload with one change. */
async function measureBuild(shape: ScaleShape, dir: string): Promise<BuildFigures> {
  await writeScaleConf(dir, shape, '127.0.0.1:1', '127.0.0.1:9')
  const store = openConfigStore(dir)
  gc()
  const heapBefore = process.memoryUsage().heapUsed
  let t = now()
  const loaded = await store.load()
  const loadMs = ms(t)
  t = now()
  const config = parseConfig(loaded)
  const parseMs = ms(t)
  t = now()
  const deps = buildDeps(loaded)
  const runtime = new Runtime(deps, buildSnapshot(config, undefined, 1, deps))
  const buildMs = ms(t)
  gc()
  const heap = process.memoryUsage().heapUsed - heapBefore

  await writeScaleConf(dir, shape, '127.0.0.1:1', '127.0.0.1:9', '-v2')
  t = now()
  const loaded2 = await store.load()
  const reloadLoadMs = ms(t)
  t = now()
  const config2 = parseConfig(loaded2)
  const reloadParseMs = ms(t)
  t = now()
  runtime.apply(config2, 2, { sources: loaded2.sources })
  const reloadApplyMs = ms(t)
  t = now()
  diffConfigs(config, config2)
  const reloadDiffMs = ms(t)
  t = now()
  encodeConfig(config2)
  const encodeMs = ms(t)
  await runtime.close()
  await store.close()
  return {
    locations: shape.locations,
    loadMs,
    parseMs,
    buildMs,
    reloadLoadMs,
    reloadParseMs,
    reloadApplyMs,
    reloadDiffMs,
    encodeMs,
    heapMb: Math.round(heap / 1e5) / 10,
    bytesPerLocation: Math.round(heap / shape.locations),
  }
}

/** The worker's share of a reload: decode the JSON text, build with reuse, swap. */
async function measureWorkerApply(dir: string): Promise<{ decodeMs: number; applyMs: number }> {
  await writeScaleConf(dir, BIG, '127.0.0.1:1', '127.0.0.1:9')
  const store = openConfigStore(dir)
  const loaded = await store.load()
  const deps = buildDeps(loaded)
  const runtime = Runtime.create(deps, parseConfig(loaded), 1)
  const decode: number[] = []
  const apply: number[] = []
  for (let i = 0; i < 5; i++) {
    await writeScaleConf(dir, BIG, '127.0.0.1:1', '127.0.0.1:9', `-w${i}`)
    const encoded = encodeConfig(parseConfig(await store.load()))
    let t = now()
    const config = decodeConfig(encoded)
    decode.push(ms(t))
    t = now()
    runtime.apply(config, i + 2)
    apply.push(ms(t))
  }
  await runtime.close()
  await store.close()
  return { decodeMs: median(decode), applyMs: median(apply) }
}

/**
 * In-process reloads of the 10,000-location config, one item changed each time: the longest
 * event-loop delay each reload causes (what a request arriving then waits at most), with the
 * config worker thread (`thread`) and with everything on the main thread (`main`), alternating.
 */
async function measureStall(dir: string): Promise<void> {
  const out: Record<string, number[]> = { thread: [], main: [] }
  // An origin that accepts connections, so health checks stay quiet.
  const origin = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
  const originAddr = `127.0.0.1:${(origin.address() as AddressInfo).port}`
  const modes = (process.env['SCALE_STALL_MODES'] ?? 'thread,main').split(',')
  for (let round = 0; round < STALL_ROUNDS; round++) {
    for (const mode of modes as Array<'thread' | 'main'>) {
      const conf = join(dir, `stall-${mode}`)
      await writeScaleConf(conf, BIG, '127.0.0.1:0', originAddr)
      if (mode === 'main') process.env['PINGAP_CONFIG_THREAD'] = '0'
      else delete process.env['PINGAP_CONFIG_THREAD']
      const app = await App.start({ store: openConfigStore(conf), autoreload: false })
      try {
        // The worker parses once at start; an unchanged reload waits for that.
        await app.reload('startup')
        for (let i = 0; i < 5; i++) {
          await writeScaleConf(conf, BIG, '127.0.0.1:0', originAddr, `-s${round}-${i}`)
          const delay = monitorEventLoopDelay({ resolution: 2 })
          delay.enable()
          const result = await app.reload('sighup')
          delay.disable()
          if (result.status !== 'applied') throw new Error(`reload ${i}: ${result.status}`)
          out[mode]!.push(Math.round(delay.max / 1e5) / 10)
        }
      } finally {
        await app.shutdown()
      }
    }
  }
  delete process.env['PINGAP_CONFIG_THREAD']
  origin.close()
  console.log(
    JSON.stringify({
      phase: 'stall',
      locations: BIG.locations,
      maxEventLoopDelayMs: {
        thread: { median: median(out['thread']!), max: Math.max(0, ...out['thread']!) },
        main: { median: median(out['main']!), max: Math.max(0, ...out['main']!) },
      },
      runs: out,
    }),
  )
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

// ---------------------------------------------------------------------------------------------
// Serving: the real binary in front of an nginx origin.

interface Served {
  readonly child: ChildProcess
  readonly url: string
  /** Parsed JSON log lines (stderr). */
  readonly lines: Array<Record<string, unknown>>
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(20)
  }
}

async function serve(conf: string, threads: number, logLevel = 'info'): Promise<Served> {
  const child = spawn(process.execPath, [PINGAP_BIN, '-c', conf, '--threads', String(threads)], {
    env: { ...process.env, PINGAP_LOG_FORMAT: 'json', PINGAP_LOG_LEVEL: logLevel },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const lines: Array<Record<string, unknown>> = []
  let buffer = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        lines.push({ msg: line })
      }
    }
  })
  await waitFor(
    () => child.exitCode !== null || lines.some((l) => l['msg'] === 'pingap-ts started'),
    'pingap-ts to start',
  )
  if (child.exitCode !== null) throw new Error(`pingap-ts exited: ${JSON.stringify(lines)}`)
  const addr = lines.find((l) => l['msg'] === 'listening')?.['addr']
  return { child, url: `http://${String(addr)}`, lines }
}

async function stop(served: Served): Promise<void> {
  if (served.child.exitCode !== null) return
  const exited = new Promise((resolve) => served.child.once('exit', resolve))
  served.child.kill('SIGTERM')
  await exited
}

interface Pinger {
  stop(): Promise<{ count: number; failures: number; maxMs: number; p99Ms: number }>
}

/** One keep-alive client sending requests back to back; its worst latency shows any stall. */
function startPinger(url: string, host: string, path: string): Pinger {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const latencies: number[] = []
  let failures = 0
  let running = true
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const started = performance.now()
      const req = httpRequest(`${url}${path}`, { agent, headers: { host } }, (res) => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode !== 200) failures++
          latencies.push(performance.now() - started)
          resolve()
        })
      })
      req.on('error', () => {
        failures++
        resolve()
      })
      req.end()
    })
  const loop = (async () => {
    while (running) await one()
  })()
  return {
    async stop() {
      running = false
      await loop
      agent.destroy()
      const sorted = latencies.sort((a, b) => a - b)
      return {
        count: sorted.length,
        failures,
        maxMs: Math.round(sorted.at(-1) ?? 0),
        p99Ms: Math.round((sorted[Math.floor(sorted.length * 0.99)] ?? 0) * 10) / 10,
      }
    },
  }
}

const rss = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
}

const childPids = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '')
    .map(Number)

/** CPU seconds used so far by `pid` and its children (the workers), from /proc. */
function cpuSeconds(pid: number): number {
  let ticks = 0
  for (const p of [pid, ...childPids(pid)]) {
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0)
  }
  return ticks / 100
}

/** Throughput with 10 and with 10,000 locations, alternating so machine noise hits both. */
async function measureThroughput(dir: string, origin: string, threads: number): Promise<void> {
  const results: Record<string, number[]> = { small: [], big: [] }
  const perCpu: Record<string, number[]> = { small: [], big: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, shape] of [
      ['small', SMALL],
      ['big', BIG],
    ] as const) {
      const conf = join(dir, `serve-${name}`)
      await writeScaleConf(conf, shape, '127.0.0.1:0', origin)
      const served = await serve(conf, threads)
      try {
        const { host, path } = scaleTarget(shape)
        const script = await writeWrkScript(dir, host)
        await runWrk(`${served.url}${path}`, { ...WRK, duration: 2 }, script)
        const cpu = cpuSeconds(served.child.pid!)
        const r = await runWrk(`${served.url}${path}`, WRK, script)
        perCpu[name]!.push(Math.round(r.requests / (cpuSeconds(served.child.pid!) - cpu)))
        // Timeouts only say the machine is overloaded; a wrong status is a real failure.
        const bad = r.errors.status + r.errors.connect + r.errors.read
        if (bad > 0) throw new Error(`${name}: ${bad} errors: ${JSON.stringify(r.errors)}`)
        results[name]!.push(Math.round(r.requestsPerSecond))
        console.error(
          `# throughput threads=${threads} ${name} round ${round}: ${r.requestsPerSecond.toFixed(0)} req/s, p99 ${r.latency.p99} µs`,
        )
      } finally {
        await stop(served)
      }
    }
  }
  const small = median(results['small']!)
  const big = median(results['big']!)
  const smallCpu = median(perCpu['small']!)
  const bigCpu = median(perCpu['big']!)
  console.log(
    JSON.stringify({
      phase: 'throughput',
      threads,
      reqPerSec: { small, big, ratio: Math.round((big / small) * 1000) / 1000 },
      // Requests per CPU-second of pingap-ts: robust when other work shares the machine.
      reqPerCpuSecond: {
        small: smallCpu,
        big: bigCpu,
        ratio: Math.round((bigCpu / smallCpu) * 1000) / 1000,
      },
      rounds: results,
    }),
  )
}

/** 10 reloads of the 10,000-location config under wrk load; a ping client measures stalls. */
async function measureReload(dir: string, origin: string, threads: number): Promise<void> {
  const conf = join(dir, `reload-${threads}`)
  await writeScaleConf(conf, BIG, '127.0.0.1:0', origin)
  const served = await serve(conf, threads, 'debug')
  let load: ChildProcess | undefined
  try {
    const { host, path } = scaleTarget(BIG)
    const script = await writeWrkScript(dir, host)
    await runWrk(`${served.url}${path}`, { ...WRK, duration: 2 }, script)
    // Background load for the whole phase; stopped by its PID at the end.
    load = spawn('wrk', ['-t1', '-c20', '-d300s', '-s', script, `${served.url}${path}`], {
      stdio: 'ignore',
    })
    // Baseline: the same load without reloads.
    let pinger = startPinger(served.url, host, path)
    await delay(3000)
    const baseline = await pinger.stop()
    pinger = startPinger(served.url, host, path)
    const reloads: number[] = []
    for (let i = 0; i < 10; i++) {
      const applied = served.lines.filter((l) => l['msg'] === 'config applied').length
      await writeScaleConf(conf, BIG, '127.0.0.1:0', origin, `-r${i}`)
      const t = performance.now()
      served.child.kill('SIGHUP')
      await waitFor(
        () => served.lines.filter((l) => l['msg'] === 'config applied').length > applied,
        `reload ${i}`,
      )
      reloads.push(Math.round(performance.now() - t))
    }
    const during = await pinger.stop()
    const built = served.lines.filter((l) => l['msg'] === 'version built' && l['version'] !== 1)
    const spread = (key: string): { median: number; max: number } => {
      const values = built.map((l) => Number(l[key]))
      return { median: median(values), max: Math.max(0, ...values) }
    }
    console.log(
      JSON.stringify({
        phase: 'reload',
        threads,
        reloadMs: { median: median(reloads), max: Math.max(...reloads) },
        pingBaseline: baseline,
        pingDuringReloads: during,
        // threads > 1: the longest synchronous steps a reload cost a worker, in CPU ms.
        workerBlockCpuMs: { decode: spread('decodeCpuMs'), build: spread('buildCpuMs') },
      }),
    )
  } finally {
    load?.kill('SIGINT')
    await stop(served)
  }
}

/** Opens `count` keep-alive connections, each after one request, and leaves them idle. */
async function openIdle(url: string, host: string, path: string, count: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url)
  const sockets: Socket[] = []
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`)
      })
      socket.once('data', () => resolve())
      socket.once('error', reject)
      sockets.push(socket)
    })
  for (let i = 0; i < count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, one))
  }
  return sockets
}

/** Idle RSS per process (threads 1 and 2, 10 and 10,000 locations) and 10,000 idle connections. */
async function measureMemory(dir: string, origin: string): Promise<void> {
  const out: Record<string, unknown> = { phase: 'memory' }
  for (const [name, shape, threads] of [
    ['small-1', SMALL, 1],
    ['small-2', SMALL, 2],
    ['big-1', BIG, 1],
  ] as const) {
    const conf = join(dir, `mem-${name}`)
    await writeScaleConf(conf, shape, '127.0.0.1:0', origin)
    const served = await serve(conf, threads)
    try {
      const pid = served.child.pid!
      const { host, path } = scaleTarget(shape)
      for (let i = 0; i < 200; i++) await fetchOnce(served.url, host, path)
      await delay(1000)
      const workers = childPids(pid)
      out[name] = { primaryMb: rss(pid), workersMb: workers.map(rss) }
      if (name === 'small-1') {
        const before = rss(pid)
        const sockets = await openIdle(served.url, host, path, IDLE_CONNECTIONS)
        await delay(2000)
        out['idleConnections'] = {
          count: sockets.length,
          beforeMb: before,
          afterMb: rss(pid),
          addedMb: rss(pid) - before,
        }
        for (const socket of sockets) socket.destroy()
      }
    } finally {
      await stop(served)
    }
  }
  console.log(JSON.stringify(out))
}

function fetchOnce(url: string, host: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { headers: { host } }, (res) => {
      res.resume()
      res.on('end', () => resolve())
    })
    req.on('error', reject)
    req.end()
  })
}

/**
 * The process-model comparison of issue 4: pingap-ts with threads = 1 and 2 against nginx with
 * 1 worker and with `worker_processes auto`, on bench/run.ts's 10-location config (access log
 * on), alternating targets each round. Ratios are what to compare (everything shares the CPUs).
 */
async function measureProcessModels(dir: string, originPort: number): Promise<void> {
  const results: Record<string, number[]> = {}
  const p99: Record<string, number[]> = {}
  const script = await writeWrkScript(dir)
  const targets = ['nginx-1', 'nginx-auto', 'pingap-1', 'pingap-2'] as const
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of targets) {
      const port = await freePort()
      const log = join(dir, `${name}-access.log`)
      let stopTarget: () => Promise<void>
      if (name.startsWith('nginx')) {
        const workers = name === 'nginx-auto' ? 'auto' : 1
        const conf = proxyConf(dir, port, originPort, log, { workers })
        const nginx = await startNginx(dir, name, conf)
        stopTarget = () => stopProcess(nginx)
      } else {
        const confDir = await writePingapConf(dir, port, originPort, `${log} combined`)
        const threads = name === 'pingap-2' ? '2' : '1'
        const child = spawn(process.execPath, [PINGAP_BIN, '-c', confDir, '--threads', threads], {
          stdio: 'ignore',
        })
        stopTarget = async () => {
          const exited = new Promise((resolve) => child.once('exit', resolve))
          child.kill('SIGTERM')
          await exited
        }
      }
      try {
        const url = `http://127.0.0.1:${port}/a5/bench`
        await waitForHttpOk(url)
        await runWrk(url, { ...WRK, duration: 2 }, script)
        const r = await runWrk(url, WRK, script)
        ;(results[name] ??= []).push(Math.round(r.requestsPerSecond))
        ;(p99[name] ??= []).push(r.latency.p99)
        console.error(`# ${name} round ${round}: ${Math.round(r.requestsPerSecond)} req/s`)
      } finally {
        await stopTarget()
      }
    }
  }
  const med = Object.fromEntries(targets.map((t) => [t, median(results[t] ?? [])]))
  const ratio = (a: string, b: string): number =>
    Math.round(((med[a] ?? 0) / (med[b] ?? 1)) * 100) / 100
  console.log(
    JSON.stringify({
      phase: 'process-models',
      reqPerSec: med,
      p99Us: Object.fromEntries(targets.map((t) => [t, median(p99[t] ?? [])])),
      ratios: {
        'pingap-2 / nginx-auto': ratio('pingap-2', 'nginx-auto'),
        'pingap-1 / nginx-1': ratio('pingap-1', 'nginx-1'),
        'pingap-2 / pingap-1': ratio('pingap-2', 'pingap-1'),
      },
      rounds: results,
    }),
  )
}

async function waitForHttpOk(url: string): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      async (res) => (await res.text(), res.status === 200),
      () => false,
    )
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${url} never answered 200`)
    await delay(50)
  }
}

const ROUNDS = Number(process.env['SCALE_ROUNDS'] ?? 3)
const STALL_ROUNDS = Number(process.env['SCALE_STALL_ROUNDS'] ?? 2)
const WRK = {
  threads: 2,
  connections: Number(process.env['SCALE_CONNECTIONS'] ?? 50),
  duration: Number(process.env['SCALE_DURATION'] ?? 8),
}
const IDLE_CONNECTIONS = Number(process.env['SCALE_IDLE_CONNECTIONS'] ?? 10_000)
const PHASES = (process.env['SCALE_PHASES'] ?? 'build,throughput,reload,memory').split(',')
const THREADS = (process.env['SCALE_THREADS'] ?? '1,2').split(',').map(Number)

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pingap-scale-'))
  console.error(
    `# node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}, ` +
      `in-process clock: ${CLOCK}`,
  )
  try {
    if (PHASES.includes('build')) {
      for (const shape of [SMALL, BIG, BIG]) {
        const figures = await measureBuild(shape, join(dir, `build-${shape.locations}`))
        console.log(JSON.stringify({ phase: 'build', ...figures }))
      }
      const worker = await measureWorkerApply(join(dir, 'worker-apply'))
      console.log(JSON.stringify({ phase: 'worker-apply', locations: BIG.locations, ...worker }))
    }
    if (PHASES.includes('stall')) await measureStall(dir)
    const serving = PHASES.filter((p) => p !== 'build' && p !== 'stall')
    if (serving.length === 0) return
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort))
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    const originAddr = `127.0.0.1:${originPort}`
    for (const threads of THREADS) {
      if (PHASES.includes('throughput')) await measureThroughput(dir, originAddr, threads)
      if (PHASES.includes('reload')) await measureReload(dir, originAddr, threads)
    }
    if (PHASES.includes('memory')) await measureMemory(dir, originAddr)
    if (PHASES.includes('models')) await measureProcessModels(dir, originPort)
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main()
