/**
 * Runs wrk with `--latency` and a Lua `done` hook that prints the summary as JSON, so the
 * figures (µs percentiles, error counts) are read exactly instead of parsed from the text.
 */
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pinned } from './processes.ts'

export interface WrkOptions {
  threads: number
  connections: number
  /** Seconds. */
  duration: number
  /** taskset CPU list for wrk, when pinned. */
  cpus?: string | undefined
}

export interface WrkResult {
  requests: number
  durationSeconds: number
  requestsPerSecond: number
  /** Latencies in microseconds. */
  latency: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number }
  errors: { connect: number; read: number; write: number; status: number; timeout: number }
}

const SCRIPT = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency":{"mean":%.2f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
`

/** Writes the Lua reporter (sending `Host: host` when given) into `dir`; returns its path. */
export async function writeWrkScript(dir: string, host?: string): Promise<string> {
  const path = join(dir, host === undefined ? 'report.lua' : `report-${host}.lua`)
  const header = host === undefined ? '' : `wrk.headers["Host"] = ${JSON.stringify(host)}\n`
  await writeFile(path, `${header}${SCRIPT}`)
  return path
}

interface RawSummary {
  requests: number
  duration_us: number
  errors: WrkResult['errors']
  latency: WrkResult['latency']
}

/** Drives `url` for `options.duration` seconds and returns the summary. */
export async function runWrk(url: string, options: WrkOptions, script: string): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.duration}s`,
    '--latency',
    '-s',
    script,
    url,
  ]
  const child = spawn(...pinned(options.cpus, 'wrk', args), { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '))
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (${code}):\n${out}`)
  const raw = JSON.parse(line.slice('WRK_JSON '.length)) as RawSummary
  const durationSeconds = raw.duration_us / 1e6
  return {
    requests: raw.requests,
    durationSeconds,
    requestsPerSecond: raw.requests / durationSeconds,
    latency: raw.latency,
    errors: raw.errors,
  }
}
