/**
 * Child processes of a benchmark run: started with their PID recorded, stopped by PID at the
 * end (also on error or Ctrl-C), plus free-port and readiness helpers.
 */
import { spawn, type ChildProcess } from 'node:child_process'
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

/** `command args` run on the CPUs `cpus` (a taskset list such as `0` or `0-2`) when given. */
export function pinned(
  cpus: string | undefined,
  command: string,
  args: string[],
): [string, string[]] {
  // taskset execs the command, so the PID we stop later is the command's own.
  return cpus === undefined ? [command, args] : ['taskset', ['-c', cpus, command, ...args]]
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

/** Polls `url` until it answers 200 (deadline `timeoutMs`); fails with the child's stderr. */
export async function waitForHttp(
  url: string,
  tracked: Tracked,
  timeoutMs = 20_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    if (exited(tracked.child)) {
      throw new Error(`${tracked.name} exited (${tracked.child.exitCode}): ${tracked.stderr}`)
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
      const body = await res.text()
      if (res.status === 200) return body
      last = new Error(`status ${res.status}: ${body.slice(0, 200)}`)
    } catch (err) {
      last = err
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${tracked.name} not ready at ${url}: ${String(last)}\n${tracked.stderr}`)
}

export type { Tracked }
