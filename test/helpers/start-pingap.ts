/**
 * Spawns the real `bin/pingap-ts` on a temporary conf directory and reads the bound addresses
 * from its JSON log lines (`{"msg":"listening","server":"web","addr":"127.0.0.1:41234"}`).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually } from './eventually.ts'

/** Repository root (tests run from .build/test/helpers). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const BIN = join(ROOT, 'bin', 'pingap-ts')

export interface Pingap {
  readonly dir: string
  readonly child: ChildProcess
  /** server name → `http://ip:port` of its first listener. */
  readonly servers: Map<string, string>
  /** Every log line seen so far (stderr), parsed when JSON. */
  readonly logs: Array<Record<string, unknown>>
  readonly stdout: string[]
  /** Writes a file of the conf dir atomically (temp + rename). */
  writeConf(name: string, text: string): void
  /** Resolves with the exit code once the process exits. */
  readonly exited: Promise<number | null>
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Waits until a log line satisfies `match`. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
}

export interface StartOptions {
  /** Extra CLI arguments; `-c <dir>` is added unless `conf` is false. */
  readonly args?: readonly string[]
  readonly env?: NodeJS.ProcessEnv
  /** Server names whose listeners must be up before start resolves. */
  readonly waitFor?: readonly string[]
  /** The -c value relative to the temp dir (default: the dir itself). */
  readonly confPath?: string
  /** Do not pass `-c` at all (quick start). */
  readonly noConf?: boolean
}

/** Starts pingap-ts on `files` (path → TOML text, relative to a fresh temp dir). */
export async function startPingap(
  files: Record<string, string>,
  options: StartOptions = {},
): Promise<Pingap> {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-e2e-'))
  const write = (name: string, text: string): void => {
    const path = join(dir, name)
    mkdirSync(dirname(path), { recursive: true })
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, text)
    renameSync(tmp, path)
  }
  for (const [name, text] of Object.entries(files)) write(name, text)
  const confArg = options.confPath !== undefined ? join(dir, options.confPath) : dir
  const confArgs = options.noConf === true ? [] : ['-c', confArg]
  const child = spawn(process.execPath, [BIN, ...confArgs, ...(options.args ?? [])], {
    env: { ...process.env, PINGAP_LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  const stdout: string[] = []
  const servers = new Map<string, string>()
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
      logs.push(parsed)
      if (parsed['msg'] === 'listening' && typeof parsed['server'] === 'string') {
        servers.set(parsed['server'], `http://${String(parsed['addr'])}`)
      }
    }
  })
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  const pingap: Pingap = {
    dir,
    child,
    servers,
    logs,
    stdout,
    writeConf: write,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const code = await exited
      rmSync(dir, { recursive: true, force: true })
      return code
    },
    waitForLog: (match, timeoutMs = 10_000) =>
      eventually(() => {
        const found = logs.find(match)
        if (found === undefined)
          throw new Error(`log line not seen; last lines: ${JSON.stringify(logs.slice(-5))}`)
        return found
      }, timeoutMs),
  }
  const wanted = options.waitFor ?? []
  try {
    await eventually(() => {
      if (child.exitCode !== null)
        throw new Error(`pingap-ts exited: ${JSON.stringify(logs.slice(-5))}`)
      for (const name of wanted)
        if (!servers.has(name)) throw new Error(`server ${name} not listening yet`)
    }, 15_000)
  } catch (err) {
    await pingap.stop('SIGKILL')
    throw err
  }
  return pingap
}

/** Runs the binary to completion and returns its exit code and output. */
export function runPingap(
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, PINGAP_LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}
