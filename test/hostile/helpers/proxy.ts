/**
 * Runs the real pingap-ts binary for the hostile suite: on a conf directory, optionally under
 * `prlimit`, with its JSON log parsed, and with `/proc` readings of its open file descriptors
 * and resident memory. `HOSTILE_PINGAP_BIN` points the suite at another build.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '../../helpers/eventually.ts'
import { BIN } from '../../helpers/start-pingap.ts'

export interface ProxyProcess {
  readonly child: ChildProcess
  readonly pid: number
  readonly dir: string
  /** server name → bound port. */
  readonly ports: Map<string, number>
  readonly logs: Array<Record<string, unknown>>
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<string>
  alive(): boolean
  writeConf(name: string, text: string): void
  stop(): Promise<void>
}

export interface SpawnOptions {
  /** Run under `prlimit --nofile=N:N`. */
  readonly nofile?: number
  /** Extra CLI arguments after `-c <dir>`. */
  readonly args?: readonly string[]
  /** Wait for these servers to listen (default: none). */
  readonly waitFor?: readonly string[]
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>
}

/** The binary under test. */
export const PINGAP_BIN = process.env['HOSTILE_PINGAP_BIN'] ?? BIN

/** Starts pingap-ts on a fresh directory holding `files`. */
export async function spawnProxy(
  files: Record<string, string>,
  options: SpawnOptions = {},
): Promise<ProxyProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-hostile-'))
  const writeConf = (name: string, text: string): void => writeFileSync(join(dir, name), text)
  for (const [name, text] of Object.entries(files)) writeConf(name, text)
  const node = [process.execPath, PINGAP_BIN, '-c', dir, ...(options.args ?? [])]
  const argv =
    options.nofile !== undefined
      ? ['prlimit', `--nofile=${options.nofile}:${options.nofile}`, '--', ...node]
      : node
  const child = spawn(argv[0] ?? '', argv.slice(1), {
    env: { ...process.env, PINGAP_LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  const ports = new Map<string, number>()
  let buffer = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      let parsed: Record<string, unknown>
      try {
        parsed = JSON.parse(line) as Record<string, unknown>
      } catch {
        parsed = { msg: line }
      }
      if (logs.length < 5_000) logs.push(parsed)
      if (parsed['msg'] === 'listening' && typeof parsed['server'] === 'string') {
        const port = Number(/:(\d+)$/.exec(String(parsed['addr']))?.[1])
        ports.set(parsed['server'], port)
      }
    }
  })
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  )
  const alive = (): boolean => child.exitCode === null && child.signalCode === null
  const proxy: ProxyProcess = {
    child,
    pid: child.pid ?? 0,
    dir,
    ports,
    logs,
    exited,
    alive,
    writeConf,
    async stop() {
      if (alive()) child.kill('SIGKILL')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
  try {
    await eventually(() => {
      if (!alive()) throw new Error(`pingap-ts exited: ${JSON.stringify(logs.slice(-5))}`)
      for (const name of options.waitFor ?? [])
        if (!ports.has(name)) throw new Error(`server ${name} not listening yet`)
    }, 15_000)
  } catch (err) {
    await proxy.stop()
    throw err
  }
  return proxy
}

/** Open file descriptors of `pid`. */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Resident set size of `pid` in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}
