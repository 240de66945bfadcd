/**
 * The `--admin` value (spec §7.1): `[user:pass@ | base64(user:pass)@]host[:port][/path][?query]`,
 * or `PINGAP_ADMIN_ADDR` with `PINGAP_ADMIN_USER` / `PINGAP_ADMIN_PASSWORD`. The port defaults
 * to 80 and the mount path to `/`. Query keys: `max_age` (session lifetime and the skew allowed
 * for Pingap's signed tokens, default 2d), `ip_fail_limit` (default 10) and `hosts` (extra
 * `Host` names accepted, comma-separated).
 */
import { isIP } from 'node:net'
import { splitHostPort } from '../config/addresses.ts'
import { parseDuration } from '../core/duration.ts'

/** A user given on the command line or in the environment (password in clear, kept in memory). */
export interface CliUser {
  readonly user: string
  readonly password: string
}

export interface AdminSpec {
  readonly host: string
  readonly port: number
  /** `host:port` as a listen address (`[::1]:6100` for IPv6). */
  readonly addr: string
  /** Mount prefix without a trailing slash; `''` for the root. */
  readonly mount: string
  readonly users: readonly CliUser[]
  readonly maxAgeMs: number
  readonly ipFailLimit: number
  /** Host names accepted besides IP literals, `localhost` and the bind host. */
  readonly hosts: readonly string[]
}

/** A malformed admin value; the CLI reports it as a usage error. */
export class AdminSpecError extends Error {
  override name = 'AdminSpecError'
}

const DEFAULT_MAX_AGE_MS = 2 * 86_400_000

function parseCredentials(text: string): CliUser {
  let plain = text
  if (!text.includes(':')) {
    plain = Buffer.from(text, 'base64').toString('utf8')
    if (!plain.includes(':')) throw new AdminSpecError('admin credentials must be user:pass')
  }
  const colon = plain.indexOf(':')
  const user = plain.slice(0, colon)
  const password = plain.slice(colon + 1)
  if (user === '' || password === '') {
    throw new AdminSpecError('admin credentials need a user name and a password')
  }
  return { user, password }
}

function parseQuery(query: string): Pick<AdminSpec, 'maxAgeMs' | 'ipFailLimit' | 'hosts'> {
  const params = new URLSearchParams(query)
  let maxAgeMs = DEFAULT_MAX_AGE_MS
  let ipFailLimit = 10
  let hosts: string[] = []
  for (const [key, value] of params) {
    if (key === 'max_age') {
      const ms = parseDuration(value)
      if (ms === undefined || ms <= 0) throw new AdminSpecError(`invalid admin max_age "${value}"`)
      maxAgeMs = ms
    } else if (key === 'ip_fail_limit') {
      if (!/^\d+$/.test(value)) throw new AdminSpecError(`invalid admin ip_fail_limit "${value}"`)
      ipFailLimit = Number(value)
    } else if (key === 'hosts') {
      hosts = value
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== '')
    } else {
      throw new AdminSpecError(`unknown admin option "${key}" (max_age, ip_fail_limit, hosts)`)
    }
  }
  return { maxAgeMs, ipFailLimit, hosts }
}

function parseMount(path: string): string {
  const trimmed = path.replace(/\/+$/, '')
  if (/[?#\s]/.test(trimmed)) throw new AdminSpecError(`invalid admin path "${path}"`)
  return trimmed
}

/** Parses an `--admin` value. */
export function parseAdminSpec(spec: string): AdminSpec {
  // Credentials first: a password may contain "/", "?" or "@" (the last "@" ends it).
  let rest = spec.trim()
  const at = rest.lastIndexOf('@')
  const users = at < 0 ? [] : [parseCredentials(rest.slice(0, at))]
  rest = rest.slice(at + 1)
  const q = rest.indexOf('?')
  const options = parseQuery(q < 0 ? '' : rest.slice(q + 1))
  if (q >= 0) rest = rest.slice(0, q)
  const slash = rest.indexOf('/')
  const hostPort = slash < 0 ? rest : rest.slice(0, slash)
  const mount = slash < 0 ? '' : parseMount(rest.slice(slash))
  const parsed = splitHostPort(hostPort)
  if (typeof parsed === 'string') throw new AdminSpecError(`invalid admin address: ${parsed}`)
  const port = parsed.port ?? 80
  const addr = isIP(parsed.host) === 6 ? `[${parsed.host}]:${port}` : `${parsed.host}:${port}`
  return { host: parsed.host, port, addr, mount, users, ...options }
}

/**
 * The admin value from `--admin` or the environment (`PINGAP_ADMIN_ADDR`, with
 * `PINGAP_ADMIN_USER` and `PINGAP_ADMIN_PASSWORD`); undefined when neither is set.
 */
export function resolveAdminSpec(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): AdminSpec | undefined {
  if (option !== undefined && option !== '') return parseAdminSpec(option)
  const addr = env['PINGAP_ADMIN_ADDR']
  if (addr === undefined || addr === '') return undefined
  const spec = parseAdminSpec(addr)
  const user = env['PINGAP_ADMIN_USER'] ?? ''
  const password = env['PINGAP_ADMIN_PASSWORD'] ?? ''
  if (user === '' && password === '') return spec
  if (user === '' || password === '') {
    throw new AdminSpecError('PINGAP_ADMIN_USER and PINGAP_ADMIN_PASSWORD go together')
  }
  return { ...spec, users: [...spec.users, { user, password }] }
}
