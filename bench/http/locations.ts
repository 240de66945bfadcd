/**
 * The 10 locations every proxy of the main scenario serves: eight prefixes, two of them bound
 * to a host, one regex path and the catch-all `/`. The nginx and pingap-ts configs are both
 * generated from this list so they route the same way.
 */

/** One location: a name (pingap-ts table key), a Pingap `path` and an optional `host`. */
export interface BenchLocation {
  readonly name: string
  /** Pingap syntax: a prefix, or `~` followed by a regex. */
  readonly path: string
  readonly host?: string
}

const prefixes = Array.from({ length: 6 }, (_, i) => ({ name: `a${i + 2}`, path: `/a${i + 2}` }))

/** The locations, host-bound first (as both proxies try them first). */
export const BENCH_LOCATIONS: readonly BenchLocation[] = [
  { name: 'api', path: '/a0', host: 'api.bench.test' },
  { name: 'www', path: '/a1', host: 'www.bench.test' },
  ...prefixes,
  { name: 'items', path: '~^/re[0-9]+/item' },
  { name: 'root', path: '/' },
]

/** The path wrk requests: a prefix location that is neither the first nor the last tried. */
export const MAIN_PATH = '/a5/bench'
