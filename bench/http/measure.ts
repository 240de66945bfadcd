/**
 * One measurement of one target: start it on a free port, check it proxies the origin's body,
 * warm up, then one wrk run with the proxy's CPU time and access-log lines counted around it;
 * the proxy is stopped whatever happens.
 */
import { readFile } from 'node:fs/promises'
import { cpuMicros } from './cpu.ts'
import { MAIN_PATH } from './locations.ts'
import { ORIGIN_BODY } from './nginx.ts'
import { freePort, stopProcess, waitForHttp } from './processes.ts'
import type { RunContext, Target } from './scenario.ts'
import { runWrk, writeWrkScript, type WrkOptions, type WrkResult } from './wrk.ts'

/** Load settings of a measurement. */
export interface LoadSettings extends WrkOptions {
  /** Seconds of warm-up before the measured run (the JIT needs it). */
  readonly warmup: number
}

/** A wrk summary plus what the run counted around it. */
export interface Measured extends WrkResult {
  /** The proxy's CPU time (user + system, workers included) per request, in µs. */
  cpuMicrosPerRequest: number
  /** Of that, the parent's own (nginx's master, pingap-ts's primary) when it has workers. */
  parentCpuMicrosPerRequest?: number
  /** Access-log lines written during the measured run (absent when the target logs none). */
  logged?: number
  /** OTLP exports the sink received during the measured run (tracing targets). */
  otlpExports?: number
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

/** Measures `target` once. */
export async function measure(
  target: Target,
  ctx: RunContext,
  load: LoadSettings,
): Promise<Measured> {
  const port = await freePort()
  const started = await target.start(ctx, port)
  try {
    const url = `${started.base}${target.path ?? MAIN_PATH}`
    const body = await waitForHttp(url, started.process, 60_000, target.host)
    if (body !== ORIGIN_BODY) {
      throw new Error(`${target.name} answered ${JSON.stringify(body.slice(0, 200))}`)
    }
    await target.check?.(started.base)
    const script = await writeWrkScript(ctx.dir, target.host)
    console.error(`#   ${target.name}: warm-up ${load.warmup}s, measuring ${load.duration}s`)
    await runWrk(url, { ...load, duration: load.warmup }, script)
    const logBefore = started.log === undefined ? 0 : await settledLines(started.log)
    const exportsBefore = ctx.otlp.received().exports
    const pid = started.process.child.pid
    const cpuBefore = cpuMicros(pid, started.children)
    const parentBefore = cpuMicros(pid)
    const result: Measured = { ...(await runWrk(url, load, script)), cpuMicrosPerRequest: 0 }
    result.cpuMicrosPerRequest =
      (cpuMicros(pid, started.children) - cpuBefore) / Math.max(1, result.requests)
    if (started.children) {
      result.parentCpuMicrosPerRequest =
        (cpuMicros(pid) - parentBefore) / Math.max(1, result.requests)
    }
    if (result.errors.status > 0) {
      throw new Error(`${target.name}: ${result.errors.status} responses were not 2xx or 3xx`)
    }
    if (started.log !== undefined) result.logged = (await settledLines(started.log)) - logBefore
    if (target.traced === true) result.otlpExports = ctx.otlp.received().exports - exportsBefore
    return result
  } finally {
    await stopProcess(started.process)
  }
}
