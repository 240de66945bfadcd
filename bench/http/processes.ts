/**
 * Child processes of a benchmark run: started with their PID recorded, stopped by PID at the
 * end (also on error or Ctrl-C), plus free-port and readiness helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { request, type IncomingHttpHeaders } from 'node:http'
import { createServer } from 'node:net'

interface Tracked {
  name: string
  child: ChildProcess
  stderr: string
}

const running = new Set<Tracked>()

/** A port the kernel just handed out on 127.0.0.1 (listen on 0, read it back, close). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port assigned')
  return address.port
}

/**
 * `command args` run on the CPUs `cpus` (a taskset list such as `0` or `0-2`) when given, at
 * the priority BENCH_NICE (e.g. `-10`, root only) when set.
 */
export function pinned(
  cpus: string | undefined,
  command: string,
  args: string[],
): [string, string[]] {
  // taskset and nice exec the command, so the PID we stop (and read /proc of) is its own.
  const nice = process.env['BENCH_NICE']
  const niced: [string, string[]] =
    nice === undefined || nice === '' ? [command, args] : ['nice', ['-n', nice, command, ...args]]
  return cpus === undefined ? niced : ['taskset', ['-c', cpus, niced[0], ...niced[1]]]
}

/** Starts a long-running child; its stderr is kept (last 64 KB) for error reports. */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  cpus?: string,
): Tracked {
  const child = spawn(...pinned(cpus, command, args), { stdio: ['ignore', 'ignore', 'pipe'] })
  const tracked: Tracked = { name, child, stderr: '' }
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tracked.stderr = (tracked.stderr + chunk).slice(-65_536)
  })
  child.once('exit', () => running.delete(tracked))
  running.add(tracked)
  return tracked
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

/** Stops one child by PID: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopProcess(tracked: Tracked, graceMs = 5000): Promise<void> {
  const { child } = tracked
  if (exited(child) || child.pid === undefined) return
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (!exited(child) && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
  }, graceMs)
  await done
  clearTimeout(timer)
}

/** Stops every child this run started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((tracked) => stopProcess(tracked)))
}

/** Status and body of one GET, with an optional Host header (fetch cannot set Host). */
export function get(
  url: string,
  host?: string,
  timeoutMs = 2000,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = host === undefined ? {} : { host }
    const req = request(url, { headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/** Polls `url` until it answers 200 (deadline `timeoutMs`); fails with the child's stderr. */
export async function waitForHttp(
  url: string,
  tracked: Tracked,
  timeoutMs = 20_000,
  host?: string,
): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    if (exited(tracked.child)) {
      throw new Error(`${tracked.name} exited (${tracked.child.exitCode}): ${tracked.stderr}`)
    }
    try {
      const res = await get(url, host)
      if (res.status === 200) return res.body
      last = new Error(`status ${res.status}: ${res.body.slice(0, 200)}`)
    } catch (err) {
      last = err
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${tracked.name} not ready at ${url}: ${String(last)}\n${tracked.stderr}`)
}

export type { Tracked }
