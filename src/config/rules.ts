/**
 * The semantic checks of spec §1.12 that look beyond one value: listen and backend addresses,
 * header entries, references between items. Inputs are tables already checked against the schema.
 */
import { isIP } from 'node:net'
import { checkBackendEntry, checkListenAddr, isUnusableIp } from './addresses.ts'
import { BUILTIN_PLUGIN_NAMES } from './defaults.ts'
import type { ItemRef, Problems } from './problems.ts'
import type { RawTable } from './types.ts'

/** A checked item: its identity (for error locations) and its table. */
export interface CheckedItem {
  readonly ref: ItemRef
  readonly table: RawTable
}

/** The names each kind of reference may point at. */
export interface KnownNames {
  readonly locations: ReadonlySet<string>
  readonly upstreams: ReadonlySet<string>
  readonly plugins: ReadonlySet<string>
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Header values may not carry CR, LF, NUL (request splitting) or other controls except tab. */
function isHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false
  }
  return true
}

function strings(value: unknown): readonly string[] {
  return Array.isArray(value) ? (value as string[]) : []
}

/** Checks `addr` of every server, address reuse across servers and `locations` references. */
export function checkServers(
  items: readonly CheckedItem[],
  known: KnownNames,
  problems: Problems,
): void {
  const used = new Map<string, string>()
  for (const { ref, table } of items) {
    const addr = table['addr']
    if (typeof addr === 'string') {
      for (const part of addr.split(',')) {
        const one = part.trim()
        const problem = checkListenAddr(one)
        if (problem !== undefined) {
          problems.invalid(ref, 'addr', problem)
          continue
        }
        // Port 0 asks the OS for a free port, so two such listeners never collide.
        if (one.endsWith(':0')) continue
        const key = one.toLowerCase()
        const owner = used.get(key)
        if (owner !== undefined) {
          problems.invalid(ref, 'addr', `${one} is inused by other server (servers.${owner})`)
        } else {
          used.set(key, ref.name)
        }
      }
    }
    for (const name of strings(table['locations'])) {
      if (!known.locations.has(name)) problems.unknownRef(ref, 'locations', 'location', name)
    }
  }
}

function checkHeaderEntries(ref: ItemRef, key: string, value: unknown, problems: Problems): void {
  for (const entry of strings(value)) {
    const colon = entry.indexOf(':')
    const name = colon < 0 ? '' : entry.slice(0, colon).trim()
    const headerValue = colon < 0 ? '' : entry.slice(colon + 1).trim()
    if (!HEADER_NAME.test(name) || !isHeaderValue(headerValue)) {
      problems.invalid(
        ref,
        key,
        `header ${JSON.stringify(entry)} is invalid (expected "Name: value")`,
      )
    }
  }
}

/** Checks header entries, the `upstream` reference and the `plugins` references of locations. */
export function checkLocations(
  items: readonly CheckedItem[],
  known: KnownNames,
  problems: Problems,
): void {
  const builtin: ReadonlySet<string> = new Set(BUILTIN_PLUGIN_NAMES)
  for (const { ref, table } of items) {
    checkHeaderEntries(ref, 'proxy_set_headers', table['proxy_set_headers'], problems)
    checkHeaderEntries(ref, 'proxy_add_headers', table['proxy_add_headers'], problems)
    const upstream = table['upstream']
    if (typeof upstream === 'string' && upstream !== '' && !upstream.startsWith('$')) {
      if (!known.upstreams.has(upstream)) problems.unknownRef(ref, 'upstream', 'upstream', upstream)
    }
    for (const name of strings(table['plugins'])) {
      if (!known.plugins.has(name) && !builtin.has(name))
        problems.unknownRef(ref, 'plugins', 'plugin', name)
    }
  }
}

function checkAddrs(ref: ItemRef, table: RawTable, problems: Problems): void {
  const addrs = strings(table['addrs'])
  if (addrs.length === 0) {
    problems.invalid(ref, 'addrs', 'upstream addrs is empty')
    return
  }
  const discovery = typeof table['discovery'] === 'string' ? table['discovery'] : undefined
  // Transparent upstreams ignore addrs; docker entries are container labels, not host names.
  if (discovery === 'transparent' || discovery === 'docker') return
  const hosts: string[] = []
  for (const entry of addrs) {
    const { host, problem } = checkBackendEntry(entry)
    if (problem !== undefined) problems.invalid(ref, 'addrs', problem)
    if (host !== undefined) hosts.push(host)
  }
  // As in Pingap, unusable IP literals are refused for static discovery (set, or guessed).
  const isStatic =
    discovery === 'static' ||
    discovery === '' ||
    (discovery === undefined && hosts.every((host) => isIP(host) !== 0))
  if (!isStatic) return
  for (const host of hosts) {
    if (isUnusableIp(host)) {
      problems.invalid(
        ref,
        'addrs',
        `invalid IP ${host} (unspecified, broadcast, multicast or link-local)`,
      )
    }
  }
}

/** Checks `addrs` and `health_check` of every upstream. */
export function checkUpstreams(items: readonly CheckedItem[], problems: Problems): void {
  for (const { ref, table } of items) {
    if (Object.hasOwn(table, 'addrs')) checkAddrs(ref, table, problems)
    const health = table['health_check']
    if (typeof health === 'string' && health !== '' && !URL.canParse(health)) {
      problems.invalid(ref, 'health_check', `"${health}" is not a URL`)
    }
  }
}
