/**
 * The application log's destination (`--log`, spec §6.4): stderr, or a file rotated by time
 * (`/var/log/pingap.log?rolling=daily|hourly|minutely|never`, default daily, as the access log).
 * Lines are written synchronously, as Node writes stderr to a file, so nothing is lost when the
 * process exits; the application log is low-volume. On rotation the file is moved aside as
 * `<path>.<period>` (`.1`, `.2` … when taken) and a new one is opened.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'

export const ROLLINGS = ['daily', 'hourly', 'minutely', 'never'] as const
export type Rolling = (typeof ROLLINGS)[number]

export type LogTarget =
  | { readonly kind: 'stderr' }
  | { readonly kind: 'syslog'; readonly url: string }
  | { readonly kind: 'file'; readonly path: string; readonly rolling: Rolling }

/** Parses a `--log` value; throws an Error with the reason for a bad `rolling`. */
export function parseLogTarget(spec: string | undefined): LogTarget {
  const text = spec?.trim() ?? ''
  if (text === '') return { kind: 'stderr' }
  if (text.startsWith('syslog:')) return { kind: 'syslog', url: text }
  const q = text.indexOf('?')
  const path = q < 0 ? text : text.slice(0, q)
  const rolling = (q < 0 ? null : new URLSearchParams(text.slice(q + 1)).get('rolling')) ?? 'daily'
  if (!(ROLLINGS as readonly string[]).includes(rolling)) {
    throw new Error(`--log: rolling "${rolling}" must be one of ${ROLLINGS.join(', ')}`)
  }
  return { kind: 'file', path, rolling: rolling as Rolling }
}

function pad(value: number): string {
  return String(value).padStart(2, '0')
}

/** The local-time period of `ms`: `YYYY-MM-DD[-HH[-mm]]` ('' for never). */
export function periodOf(ms: number, rolling: Rolling): string {
  if (rolling === 'never') return ''
  const d = new Date(ms)
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
  if (rolling === 'daily') return day
  if (rolling === 'hourly') return `${day}-${pad(d.getHours())}`
  return `${day}-${pad(d.getHours())}-${pad(d.getMinutes())}`
}

/** When the period of `ms` ends (Infinity for never). */
export function periodEnd(ms: number, rolling: Rolling): number {
  const d = new Date(ms)
  if (rolling === 'daily') return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime()
  if (rolling === 'hourly') {
    return new Date(d.getFullYear(), d.getMonth(), d.getDate(), d.getHours() + 1).getTime()
  }
  if (rolling === 'minutely') {
    const next = new Date(d.getTime())
    next.setSeconds(60, 0)
    return next.getTime()
  }
  return Infinity
}

export class RollingLogFile {
  readonly #path: string
  readonly #rolling: Rolling
  readonly #now: () => number
  #fd: number | undefined
  #period = ''
  #end = 0

  constructor(path: string, rolling: Rolling, now: () => number = Date.now) {
    this.#path = path
    this.#rolling = rolling
    this.#now = now
    mkdirSync(dirname(path), { recursive: true })
    this.#open(true)
  }

  #open(checkStale: boolean): void {
    const now = this.#now()
    const period = periodOf(now, this.#rolling)
    if (checkStale && this.#rolling !== 'never' && existsSync(this.#path)) {
      const info = statSync(this.#path)
      const old = periodOf(info.mtimeMs, this.#rolling)
      if (info.size > 0 && old !== period) this.#moveAside(old)
    }
    this.#fd = openSync(this.#path, 'a')
    this.#period = period
    this.#end = periodEnd(now, this.#rolling)
  }

  #moveAside(period: string): void {
    let target = `${this.#path}.${period}`
    for (let n = 1; existsSync(target); n++) target = `${this.#path}.${period}.${n}`
    renameSync(this.#path, target)
  }

  /**
   * Appends one line (with its newline), rotating first when the period ended. Returns false
   * when the file cannot be written (the caller falls back to stderr).
   */
  write(line: string): boolean {
    try {
      if (this.#now() >= this.#end && this.#fd !== undefined) {
        closeSync(this.#fd)
        this.#fd = undefined
        this.#moveAside(this.#period)
      }
      if (this.#fd === undefined) this.#open(false)
      writeSync(this.#fd as number, line)
      return true
    } catch {
      return false
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }
}
