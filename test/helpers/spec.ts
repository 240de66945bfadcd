/**
 * Small helpers for the spec §14 end-to-end tests: TOML tables from plain objects, sets of named
 * echo upstreams, a held (slow) upstream and a request shortcut with a Host header.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { request, type RequestOptions, type TestResponse } from './http.ts'
import { startUpstream, type TestUpstream } from './upstreams.ts'

/** A TOML value this helper can render. */
export type TomlValue = string | number | boolean | readonly string[]

/** Renders a JSON-compatible string as a TOML basic string (JSON escapes are valid TOML). */
function tomlValue(value: TomlValue): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`
}

/** Renders `[section.name]` tables, one per entry of `items`, undefined fields left out. */
export function tables(
  section: string,
  items: Record<string, Record<string, TomlValue | undefined>>,
): string {
  const out: string[] = []
  for (const [name, fields] of Object.entries(items)) {
    out.push(`[${section}.${JSON.stringify(name)}]`)
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) out.push(`${key} = ${tomlValue(value)}`)
    }
    out.push('')
  }
  return out.join('\n')
}

/** Starts one echo upstream per name; the echo body is `<name> <method> <url>`. */
export async function namedUpstreams(names: readonly string[]): Promise<Map<string, TestUpstream>> {
  const started = await Promise.all(names.map((name) => startUpstream(undefined, name)))
  return new Map(names.map((name, i) => [name, started[i] as TestUpstream]))
}

/** Closes every upstream of a map (ignores ones already closed). */
export async function closeAll(upstreams: Iterable<TestUpstream>): Promise<void> {
  await Promise.all([...upstreams].map((u) => u.close().catch(() => undefined)))
}

/** `[upstreams.<name>] addrs = ["127.0.0.1:<port>"]` for each named upstream. */
export function upstreamTables(upstreams: ReadonlyMap<string, TestUpstream>): string {
  const items: Record<string, Record<string, TomlValue>> = {}
  for (const [name, u] of upstreams) items[name] = { addrs: [u.addr] }
  return tables('upstreams', items)
}

/** The one server of a test config, listening on a free port of 127.0.0.1. */
export function webServer(locations: readonly string[], name = 'web'): string {
  return tables('servers', { [name]: { addr: '127.0.0.1:0', locations } })
}

/** Sends a request to `base` with `Host: host` (plus any other options). */
export function get(
  base: string,
  host: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  return request(base, path, { ...options, headers: { host, ...options.headers } })
}

/** An upstream that holds every response until `release()` (or `close()`) is called. */
export interface HeldUpstream {
  readonly upstream: TestUpstream
  /** Answers every held request with 200 `held <url>`, and every later one at once. */
  release(): void
}

/** Starts an upstream whose answers wait for `release()`: a slow backend without sleeps. */
export async function heldUpstream(name = 'held'): Promise<HeldUpstream> {
  const waiting: Array<() => void> = []
  let released = false
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume()
    const answer = (): void => {
      if (!res.destroyed) res.end(`${name} ${req.method} ${req.url}`)
    }
    if (released) answer()
    else waiting.push(answer)
  }
  const upstream = await startUpstream(handler, name)
  return {
    upstream,
    release() {
      released = true
      for (const answer of waiting.splice(0)) answer()
    },
  }
}
