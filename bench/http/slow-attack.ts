/**
 * Slow-client attacks for bench/slowloris.ts: the real slowhttptest (Debian `slowhttptest`) in
 * slow-header (`-H`, slowloris) or slow-body (`-B`, R-U-Dead-Yet) mode, or, when it is not
 * installed, a small built-in attacker that sends the same shapes. Either way the attack reports
 * how many of its connections the target kept open while it ran, so a figure measured under an
 * attack that never took hold can be told apart.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { pinned } from './processes.ts'

export type AttackMode = 'headers' | 'body'

export interface AttackOptions {
  readonly mode: AttackMode
  readonly url: string
  /** Connections to hold open. */
  readonly connections: number
  /** New connections per second while ramping up. */
  readonly rate: number
  /** Seconds between two slow bytes on one connection. */
  readonly interval: number
  /** How long the attack lasts, seconds. */
  readonly seconds: number
  /** Where slowhttptest writes its CSV (`<prefix>.csv`). */
  readonly reportPrefix: string
  /** taskset CPU list for slowhttptest. */
  readonly cpus?: string | undefined
}

export interface AttackStats {
  readonly tool: 'slowhttptest' | 'built-in'
  /** Most connections the target held open at once. */
  readonly peakConnected: number
  /** Connections open when the attack was stopped. */
  readonly endConnected: number
}

export interface Attack {
  readonly tool: AttackStats['tool']
  /** Ends the attack (early if needed) and reports its connection figures. */
  stop(): Promise<AttackStats>
}

/** Why the built-in attacker is used, or undefined when slowhttptest is installed. */
export function fallbackReason(): string | undefined {
  if (process.env['SLOW_TOOL'] === 'built-in') return 'SLOW_TOOL=built-in'
  const found = spawnSync('sh', ['-c', 'command -v slowhttptest']).status === 0
  return found ? undefined : 'slowhttptest is not installed (apt-get install slowhttptest)'
}

/** Starts the attack; resolves once its connections had time to be opened. */
export async function startAttack(options: AttackOptions): Promise<Attack> {
  const attack = fallbackReason() === undefined ? startSlowhttptest(options) : startBuiltIn(options)
  // Ramp-up: connections / rate seconds, plus one for the stragglers.
  const rampMs = Math.ceil(options.connections / options.rate) * 1000 + 1000
  await new Promise((resolve) => setTimeout(resolve, rampMs))
  return attack
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise<void>((resolve) => child.once('exit', () => resolve()))
}

/** Peak and last `Connected` of slowhttptest's CSV (Seconds,Closed,Pending,Connected,...). */
async function csvStats(path: string): Promise<{ peak: number; end: number }> {
  const text = await readFile(path, 'utf8').catch(() => '')
  const connected = text
    .split('\n')
    .slice(1)
    .map((line) => Number(line.split(',')[3]))
    .filter((n) => Number.isFinite(n))
  return { peak: Math.max(0, ...connected), end: connected.at(-1) ?? 0 }
}

function startSlowhttptest(o: AttackOptions): Attack {
  const args = [
    o.mode === 'headers' ? '-H' : '-B',
    ...['-c', String(o.connections), '-r', String(o.rate), '-i', String(o.interval)],
    ...['-l', String(o.seconds), '-s', '100000', '-x', '10', '-p', '3'],
    ...['-g', '-o', o.reportPrefix, '-u', o.url],
  ]
  const child = spawn(...pinned(o.cpus, 'slowhttptest', args), { stdio: 'ignore' })
  return {
    tool: 'slowhttptest',
    async stop() {
      // SIGINT lets slowhttptest write its CSV; SIGKILL if it does not exit soon after.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited(child)
      clearTimeout(killer)
      const { peak, end } = await csvStats(`${o.reportPrefix}.csv`)
      return { tool: 'slowhttptest', peakConnected: peak, endConnected: end }
    },
  }
}

/** The request head up to the point where the attacker starts dripping. */
function opening(mode: AttackMode, url: URL): string {
  const host = `Host: ${url.host}\r\nUser-Agent: slow-attack\r\n`
  if (mode === 'headers') return `GET ${url.pathname} HTTP/1.1\r\n${host}`
  return (
    `POST ${url.pathname} HTTP/1.1\r\n${host}Content-Type: application/x-www-form-urlencoded\r\n` +
    'Content-Length: 100000\r\n\r\n'
  )
}

function startBuiltIn(o: AttackOptions): Attack {
  const url = new URL(o.url)
  const sockets = new Set<Socket>()
  let peak = 0
  let opened = 0
  const open = (): void => {
    if (opened >= o.connections) return
    opened++
    const socket = connect(Number(url.port), url.hostname)
    socket.setNoDelay(true)
    socket.on('error', () => {})
    socket.once('connect', () => {
      sockets.add(socket)
      peak = Math.max(peak, sockets.size)
      socket.write(opening(o.mode, url))
    })
    socket.once('close', () => sockets.delete(socket))
    socket.on('data', () => {})
  }
  const perTick = Math.max(1, Math.ceil(o.rate / 10))
  const ramp = setInterval(() => {
    for (let i = 0; i < perTick; i++) open()
  }, 100)
  let n = 0
  const drip = setInterval(() => {
    n++
    const bytes = o.mode === 'headers' ? `X-${n}: ${n}\r\n` : 'a=b&'
    for (const socket of sockets) socket.write(bytes)
  }, o.interval * 1000)
  const end = setTimeout(() => void finish(), o.seconds * 1000)
  let stats: AttackStats | undefined
  const finish = (): Promise<AttackStats> => {
    if (stats === undefined) {
      clearInterval(ramp)
      clearInterval(drip)
      clearTimeout(end)
      stats = { tool: 'built-in', peakConnected: peak, endConnected: sockets.size }
      for (const socket of sockets) socket.destroy()
    }
    return Promise.resolve(stats)
  }
  return { tool: 'built-in', stop: finish }
}
