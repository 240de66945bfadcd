/**
 * The `access_log` directive (spec §6): a preset, a `{tag}` template, or `"<file> <format>"`.
 * The template is compiled once into an array of strings and small functions, so formatting a
 * line is one pass of string concatenation.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { homedir, hostname } from 'node:os'
import { contextGetter } from '../core/context-values.ts'
import { cookieValue, headerValue, type RequestContext } from '../core/context.ts'
import { ConfigError } from '../core/errors.ts'
import { humanBytes, humanLatency, localTimestamp } from '../core/format.ts'

/** What the access log needs to know about the response that was sent. */
export interface AccessLogResponse {
  status: number
  /** Response body bytes sent. */
  bytes: number
  /** The response headers as written (`res.getHeaders()`), or a lookup by lower-case name. */
  headers: OutgoingHttpHeaders | ((name: string) => string | undefined)
}

export type AccessLogRolling = 'daily' | 'hourly' | 'minutely' | 'never'

/** A compiled `access_log` value. */
export interface AccessLog {
  format: (ctx: RequestContext, res: AccessLogResponse) => string
  /** The log file (`~` expanded); undefined = stdout. */
  path?: string
  rolling: AccessLogRolling
  /** `channel_buffer`: how many lines may wait for the disk before lines are dropped. */
  queueSize?: number
}

/**
 * Pingap's presets. `common` is Pingap's text without its trailing stray `"` (spec Q5): the
 * documented intent is the Common Log Format, which has no such quote (decisions §1).
 */
export const ACCESS_LOG_PRESETS: Readonly<Record<string, string>> = {
  combined: '{remote} "{method} {uri} {proto}" {status} {size_human} "{referer}" "{user_agent}"',
  common: '{remote} "{method} {uri} {proto}" {status} {size_human}',
  short: '{remote} {method} {uri} {proto} {status} {size_human} - {latency}ms',
  tiny: '{method} {uri} {status} {size_human} - {latency}ms',
}

const ROLLINGS: readonly AccessLogRolling[] = ['daily', 'hourly', 'minutely', 'never']

type TagFn = (ctx: RequestContext, res: AccessLogResponse) => string
type Getter = (ctx: RequestContext, res: AccessLogResponse) => string | undefined

// Control bytes are exactly what must be found here.
// eslint-disable-next-line no-control-regex
const UNSAFE = /["\\\x00-\x1f\x7f]/
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /["\\\x00-\x1f\x7f]/g

/**
 * Client-controlled text is escaped as nginx does (`"` → `\x22`), so a quoted field cannot be
 * closed early and a line cannot be forged. Pingap writes such bytes raw.
 */
function escape(value: string): string {
  if (!UNSAFE.test(value)) return value
  return value.replace(UNSAFE_ALL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function orDash(value: string | undefined): string {
  return value === undefined || value === '' ? '-' : escape(value)
}

function latency(ctx: RequestContext): number {
  return performance.now() - ctx.startTime
}

function uri(ctx: RequestContext): string {
  return ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`
}

function responseHeader(res: AccessLogResponse, name: string): string | undefined {
  if (typeof res.headers === 'function') return res.headers(name)
  const value = res.headers[name]
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : String(value)
}

const SIMPLE_TAGS: Readonly<Record<string, Getter>> = {
  host: (ctx) => ctx.host,
  method: (ctx) => ctx.method,
  path: (ctx) => ctx.path,
  proto: (ctx) => ctx.proto,
  query: (ctx) => ctx.query,
  remote: (ctx) => ctx.remoteAddr,
  client_ip: (ctx) => ctx.clientIp,
  scheme: (ctx) => ctx.scheme,
  uri,
  referer: (ctx) => headerValue(ctx.headers, 'referer'),
  user_agent: (ctx) => headerValue(ctx.headers, 'user-agent'),
  when: () => localTimestamp(Date.now()),
  when_utc_iso: () => new Date().toISOString(),
  when_unix: () => String(Date.now()),
  size: (_ctx, res) => String(res.bytes),
  size_human: (_ctx, res) => humanBytes(res.bytes),
  status: (_ctx, res) => String(res.status),
  latency: (ctx) => String(Math.trunc(latency(ctx))),
  latency_human: (ctx) => humanLatency(latency(ctx)),
  payload_size: (ctx) => String(ctx.payloadSize),
  payload_size_human: (ctx) => humanBytes(ctx.payloadSize),
  request_id: (ctx) => ctx.requestId,
}

function dashed(getter: Getter): TagFn {
  return (ctx, res) => orDash(getter(ctx, res))
}

/** `{$hostname}` / `{$NAME}`: resolved once, when the config is built. */
function parseTimeValue(name: string): string {
  if (name === 'hostname') return hostname()
  // `typeof`: names such as `valueOf` would otherwise find Object.prototype's functions.
  const value: unknown = process.env[name]
  return orDash(typeof value === 'string' ? value : undefined)
}

/** The compiled form of one `{tag}`; a string when it is constant; undefined when unknown. */
function compileTag(tag: string): TagFn | string | undefined {
  if (Object.hasOwn(SIMPLE_TAGS, tag)) return dashed(SIMPLE_TAGS[tag]!)
  const name = tag.slice(1)
  if (name === '') return undefined
  switch (tag.charAt(0)) {
    case '~':
      // An absent cookie prints nothing, not `-` (spec §6.2).
      return (ctx) => escape(cookieValue(ctx.headers, name) ?? '')
    case '>':
      return dashed((ctx) => headerValue(ctx.headers, name))
    case '<': {
      const lower = name.toLowerCase()
      return dashed((_ctx, res) => responseHeader(res, lower))
    }
    case ':': {
      // Unknown context keys print nothing (spec §6.2).
      const getter = contextGetter(name)
      return getter === undefined ? '' : dashed(getter)
    }
    case '$':
      return parseTimeValue(name)
    default:
      return undefined
  }
}

const TAG = /\{([^{}\s]+)\}/g

/** Compiles a template into parts; unknown `{tags}` stay as literal text. */
export function compileTemplate(template: string): TagFn {
  const parts: Array<string | TagFn> = []
  const pushText = (text: string): void => {
    if (text === '') return
    const last = parts.length - 1
    if (typeof parts[last] === 'string') parts[last] += text
    else parts.push(text)
  }
  let index = 0
  for (const match of template.matchAll(TAG)) {
    pushText(template.slice(index, match.index))
    const compiled = compileTag(match[1]!)
    if (compiled === undefined) pushText(match[0])
    else if (typeof compiled === 'string') pushText(compiled)
    else parts.push(compiled)
    index = match.index + match[0].length
  }
  pushText(template.slice(index))
  return (ctx, res) => {
    let line = ''
    for (const part of parts) line += typeof part === 'string' ? part : part(ctx, res)
    return line
  }
}

function expandHome(path: string): string {
  if (path === '~') return homedir()
  return path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path
}

/** Reads `<path>?rolling=…&channel_buffer=…` (other query keys, like flush_timeout, are ignored). */
function parseTarget(target: string, where: string): Omit<AccessLog, 'format'> {
  const question = target.indexOf('?')
  const path = expandHome(question < 0 ? target : target.slice(0, question))
  const query = new URLSearchParams(question < 0 ? '' : target.slice(question + 1))
  const rolling = query.get('rolling') ?? 'daily'
  if (!(ROLLINGS as readonly string[]).includes(rolling)) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', where, [
      `rolling "${rolling}" must be one of ${ROLLINGS.join(', ')}`,
    ])
  }
  const result: Omit<AccessLog, 'format'> = { path, rolling: rolling as AccessLogRolling }
  const buffer = query.get('channel_buffer')
  if (buffer !== null) {
    const size = Number(buffer)
    if (!Number.isInteger(size) || size <= 0) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', where, [
        `channel_buffer "${buffer}" must be a positive integer`,
      ])
    }
    result.queueSize = size
  }
  return result
}

/** Compiles an `access_log` value; `where` is the TOML path used in errors. */
export function compileAccessLog(spec: string, where = 'access_log'): AccessLog {
  const value = spec.trim()
  if (value === '') {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', where, ['access log format is empty'])
  }
  const space = value.indexOf(' ')
  const rest = space < 0 ? '' : value.slice(space + 1).trim()
  // A file path only when what follows is a preset or a template (spec §6.1), and the first
  // word is not itself a tag: `{method} {uri}` is a template, not a file named `{method}`.
  const hasPath =
    space > 0 &&
    !value.startsWith('{') &&
    (Object.hasOwn(ACCESS_LOG_PRESETS, rest) || rest.startsWith('{'))
  const template = hasPath ? rest : value
  const preset = Object.hasOwn(ACCESS_LOG_PRESETS, template)
    ? ACCESS_LOG_PRESETS[template]
    : undefined
  const format = compileTemplate(preset ?? template)
  if (!hasPath) return { format, rolling: 'never' }
  return { format, ...parseTarget(value.slice(0, space), where) }
}
