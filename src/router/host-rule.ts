/**
 * A location's `host` value (spec §2.1): comma-separated entries, trimmed, empties dropped;
 * `~re` is an unanchored regex whose named groups become variables, `*.domain` matches
 * subdomains (never the apex), anything else is an exact, case-insensitive name. Request hosts
 * arrive lower-cased without a port (RouteInput).
 */
import { ConfigError } from '../core/errors.ts'
import type { LocationHosts } from './types.ts'
import { compileUserRegex } from './regex.ts'

export type HostEntry =
  | { readonly kind: 'exact'; readonly value: string }
  /** `value` keeps the leading dot: `*.example.com` → `.example.com`. */
  | { readonly kind: 'suffix'; readonly value: string }
  | { readonly kind: 'regex'; readonly re: RegExp }

/** Named groups of a regex match (undefined values for groups that did not take part). */
export type Groups = Readonly<Record<string, string | undefined>>

/** Parses `host`; `keyPath` (e.g. `locations.api.host`) names the key in errors. */
export function parseHosts(host: string | undefined, keyPath: string): HostEntry[] {
  const entries: HostEntry[] = []
  for (const raw of (host ?? '').split(',')) {
    const entry = raw.trim()
    if (entry === '') continue
    if (entry.startsWith('~')) {
      entries.push({ kind: 'regex', re: compileUserRegex(entry.slice(1).trim(), keyPath) })
    } else if (entry.startsWith('*.')) {
      const domain = entry.slice(2)
      if (domain === '' || domain.startsWith('*')) {
        throw new ConfigError('PGT_ERR_CONFIG_INVALID', keyPath, [
          `host "${entry}" is not a valid wildcard; write it as *.example.com`,
        ])
      }
      entries.push({ kind: 'suffix', value: '.' + domain.toLowerCase() })
    } else {
      entries.push({ kind: 'exact', value: entry.toLowerCase() })
    }
  }
  return entries
}

/** The host summary the indexed router buckets by. */
export function describeHosts(entries: readonly HostEntry[]): LocationHosts {
  const exact: string[] = []
  const suffixes: string[] = []
  let hasRegex = false
  for (const entry of entries) {
    if (entry.kind === 'exact') exact.push(entry.value)
    else if (entry.kind === 'suffix') suffixes.push(entry.value)
    else hasRegex = true
  }
  return { exact, suffixes, hasRegex, any: entries.length === 0 }
}

/** True when `host` is a strict subdomain of `suffix` (`.example.com`). */
export function matchesSuffix(host: string, suffix: string): boolean {
  return host.length > suffix.length && host.endsWith(suffix)
}

/**
 * Tries the entries in order, first match wins (as Pingap's `any`): null when none matches,
 * undefined when the match captured nothing, else the regex's named groups.
 */
export function matchHosts(entries: readonly HostEntry[], host: string): Groups | undefined | null {
  for (const entry of entries) {
    if (entry.kind === 'exact') {
      if (entry.value === host) return undefined
    } else if (entry.kind === 'suffix') {
      if (matchesSuffix(host, entry.value)) return undefined
    } else {
      const m = entry.re.exec(host)
      if (m !== null) return m.groups
    }
  }
  return null
}
