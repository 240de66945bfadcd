/**
 * `npm run bench:alloc`: bytes allocated per proxied request on the main config (access log,
 * metrics, `request_id`), by source file. Unlike req/s and CPU per request, this figure hardly
 * moves with the machine's noise, so it shows whether a hot-path change does less work on a day
 * when throughput rounds differ by 40 %.
 *
 * How: pingap-ts runs with `--inspect` on a free loopback port; after a warm-up, V8's sampling
 * heap profiler is started over the inspector protocol with objects collected by minor and major
 * GCs kept (so short-lived per-request garbage counts), wrk drives BENCH_DURATION seconds, and
 * the sampled bytes are divided by the requests wrk completed. Writes
 * bench/results/alloc-latest.json.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { machineInfo } from './http/machine.ts'
import { originConf, startNginx } from './http/nginx.ts'
import { PINGAP_BIN, writePingapConf } from './http/pingap.ts'
import { freePort, startProcess, stopAll, waitForHttp, type Tracked } from './http/processes.ts'
import { runWrk, writeWrkScript } from './http/wrk.ts'

/** Average bytes between two samples: small enough for a stable per-request figure. */
const SAMPLING_INTERVAL = 4096
const PATH = '/a5/bench'

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: ProfileNode[]
}

function seconds(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}

/** The inspector's WebSocket URL, printed by `--inspect` on stderr. */
async function inspectorUrl(target: Tracked): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const match = /Debugger listening on (ws:\/\/\S+)/.exec(target.stderr)
    if (match !== null) return match[1]!
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`pingap-ts printed no inspector URL: ${target.stderr}`)
}

/** A minimal Chrome DevTools Protocol client: one request at a time. */
async function connect(url: string): Promise<{
  call: (method: string, params?: object) => Promise<Record<string, unknown>>
  close: () => void
}> {
  const socket = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  let nextId = 1
  const waiting = new Map<number, (result: Record<string, unknown>) => void>()
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as {
      id?: number
      result?: Record<string, unknown>
      error?: { message: string }
    }
    if (message.id === undefined) return
    if (message.error !== undefined) throw new Error(`inspector: ${message.error.message}`)
    waiting.get(message.id)?.(message.result ?? {})
    waiting.delete(message.id)
  })
  return {
    call: (method, params = {}) =>
      new Promise((resolve) => {
        const id = nextId++
        waiting.set(id, resolve)
        socket.send(JSON.stringify({ id, method, params }))
      }),
    close: () => socket.close(),
  }
}

/** Node's own modules by name, pingap-ts's by path below src/, the rest by kind. */
function fileOf(url: string): string {
  if (url === '') return '(native)'
  if (url.startsWith('node:')) return url
  const src = url.indexOf('/dist/')
  return src >= 0 ? `src/${url.slice(src + 6).replace(/\.js$/, '.ts')}` : url
}

/** Sampled bytes by file. */
function byFile(root: ProfileNode): Map<string, number> {
  const files = new Map<string, number>()
  const walk = (node: ProfileNode): void => {
    const file = fileOf(node.callFrame.url)
    files.set(file, (files.get(file) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child)
  }
  walk(root)
  return files
}

async function main(): Promise<void> {
  const duration = seconds('BENCH_DURATION', 5)
  const warmup = seconds('BENCH_WARMUP', 3)
  const dir = await mkdtemp(join(tmpdir(), 'pingap-alloc-'))
  try {
    const originPort = await freePort()
    const origin = await startNginx(dir, 'origin', originConf(dir, originPort))
    await waitForHttp(`http://127.0.0.1:${originPort}/`, origin)
    const port = await freePort()
    const conf = await writePingapConf(
      dir,
      port,
      originPort,
      `${join(dir, 'access.log')} combined`,
      {
        metrics: true,
        plugins: ['requestId'],
      },
    )
    const pingap = startProcess('pingap-ts', process.execPath, [
      '--inspect=127.0.0.1:0',
      PINGAP_BIN,
      '-c',
      conf,
    ])
    const url = `http://127.0.0.1:${port}${PATH}`
    await waitForHttp(url, pingap)
    const load = { threads: 2, connections: 50 }
    const script = await writeWrkScript(dir)
    await runWrk(url, { ...load, duration: warmup }, script)
    const inspector = await connect(await inspectorUrl(pingap))
    await inspector.call('HeapProfiler.enable')
    await inspector.call('HeapProfiler.startSampling', {
      samplingInterval: SAMPLING_INTERVAL,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    })
    const result = await runWrk(url, { ...load, duration }, script)
    const { profile } = (await inspector.call('HeapProfiler.stopSampling')) as {
      profile: { head: ProfileNode }
    }
    inspector.close()
    if (result.requests === 0) throw new Error('wrk completed no request')
    const files = [...byFile(profile.head)].sort((a, b) => b[1] - a[1])
    const total = files.reduce((sum, [, bytes]) => sum + bytes, 0)
    const perRequest = (bytes: number): number => Math.round(bytes / result.requests)
    const own = files.filter(([file]) => file.startsWith('src/'))
    console.log(`requests ${result.requests}, bytes allocated per request ${perRequest(total)}`)
    console.log(`  pingap-ts's own code ${perRequest(own.reduce((s, [, b]) => s + b, 0))}`)
    for (const [file, bytes] of files.slice(0, 20)) {
      console.log(`${String(perRequest(bytes)).padStart(7)}  ${file}`)
    }
    const out = new URL('../../bench/results/alloc-latest.json', import.meta.url)
    const report = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      settings: { duration, warmup, samplingInterval: SAMPLING_INTERVAL, path: PATH },
      requests: result.requests,
      bytesPerRequest: perRequest(total),
      byFile: Object.fromEntries(files.map(([file, bytes]) => [file, perRequest(bytes)])),
    }
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`# wrote ${out.pathname}`)
  } finally {
    await stopAll()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
