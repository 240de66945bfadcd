/**
 * The application logger: one line per record on stderr (or a file), JSON when
 * `log_format_json` is set or stderr is not a TTY, text otherwise. Values go in fields.
 */
import { parseLogTarget, RollingLogFile } from './log-file.ts'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export type LogFields = Readonly<Record<string, unknown>>

interface Sink {
  level: number
  json: boolean
  write(line: string): void
}

function levelIndex(level: string): number {
  const i = LOG_LEVELS.indexOf(level.toLowerCase() as LogLevel)
  return i < 0 ? 2 : i
}

const sink: Sink = {
  level: levelIndex(process.env['PINGAP_LOG_LEVEL'] ?? process.env['RUST_LOG'] ?? 'info'),
  json: process.env['PINGAP_LOG_FORMAT'] === 'json' || !process.stderr.isTTY,
  write: (line) => process.stderr.write(line),
}

let logFile: RollingLogFile | undefined

const toStderr = (line: string): void => void process.stderr.write(line)

/**
 * Sends the log to `spec` (`--log`): empty = stderr, else a file path with an optional
 * `?rolling=daily|hourly|minutely|never` (core/log-file.ts). `syslog://` is not supported:
 * a warning goes to stderr and the log stays there. Throws for a bad `rolling`.
 */
export function setLogDestination(spec: string | undefined): void {
  const target = parseLogTarget(spec)
  logFile?.close()
  logFile = undefined
  sink.write = toStderr
  if (target.kind === 'syslog') {
    const fields = { module: 'logger' }
    toStderr(render('warn', fields, 'syslog is not supported, logging to stderr', target))
    return
  }
  if (target.kind !== 'file') return
  const file = new RollingLogFile(target.path, target.rolling)
  logFile = file
  sink.json = true
  sink.write = (line) => {
    if (!file.write(line)) toStderr(line)
  }
}

/** Applies `basic.log_level` / `log_format_json` (hot-reloadable). */
export function configureLogger(options: {
  level?: string | undefined
  json?: boolean | undefined
}): void {
  if (options.level !== undefined && options.level !== '') sink.level = levelIndex(options.level)
  if (options.json !== undefined)
    sink.json = options.json || logFile !== undefined || !process.stderr.isTTY
}

function errorFields(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { message: value.message }
    const code = (value as { code?: unknown }).code
    if (code !== undefined) out['code'] = code
    return out
  }
  return value
}

function render(level: LogLevel, bindings: LogFields, msg: string, fields: LogFields): string {
  if (sink.json) {
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, msg }
    for (const [k, v] of Object.entries(bindings)) record[k] = v
    for (const [k, v] of Object.entries(fields)) record[k] = errorFields(v)
    return `${JSON.stringify(record)}\n`
  }
  const parts = Object.entries({ ...bindings, ...fields }).map(([k, v]) => {
    const value = errorFields(v)
    return `${k}=${typeof value === 'string' ? value : JSON.stringify(value)}`
  })
  return `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${msg}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}\n`
}

/** A logger bound to some fields, e.g. `{ module: 'upstream' }`. */
export class Logger {
  readonly #bindings: LogFields

  constructor(bindings: LogFields = {}) {
    this.#bindings = bindings
  }

  child(bindings: LogFields): Logger {
    return new Logger({ ...this.#bindings, ...bindings })
  }

  enabled(level: LogLevel): boolean {
    return levelIndex(level) >= sink.level
  }

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (levelIndex(level) < sink.level) return
    sink.write(render(level, this.#bindings, msg, fields))
  }

  trace(msg: string, fields?: LogFields): void {
    this.log('trace', msg, fields)
  }
  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields)
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields)
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields)
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields)
  }
}

/** The root logger. */
export const logger = new Logger()
