/** Contracts of the router: compiled locations and the per-server router that picks one. */
import type { IncomingHttpHeaders } from 'node:http'
import type { LocationConf } from '../config/types.ts'

/** What routing looks at. `path` is already normalised (router/normalize-path.ts). */
export interface RouteInput {
  /** Lower-cased host without port. */
  readonly host: string
  readonly path: string
  /** Raw query without `?`. */
  readonly query: string
  readonly headers: IncomingHttpHeaders
}

/** A compiled rewrite: returns the new path (query not included) or undefined when unchanged. */
export interface Rewriter {
  rewrite(path: string, variables: Map<string, string> | undefined): RewriteResult | undefined
}

export interface RewriteResult {
  readonly path: string
  /** Named captures of the rewrite regex, to add to the request variables. */
  readonly captures: ReadonlyMap<string, string> | undefined
}

/** One `[locations.<name>]`, compiled: regexes built, weight computed. Never mutated. */
export interface LocationMatcher {
  readonly name: string
  readonly conf: LocationConf
  readonly weight: number
  readonly hash: string
  /** Hosts of this location for the host index: exact names, `*.suffix` and regexes. */
  readonly hosts: LocationHosts
  readonly rewriter: Rewriter | null
  /**
   * Full match (host, path, headers, query, cookies). Returns the captured variables
   * (`NO_VARIABLES` when none) or null when the location does not match.
   */
  match(input: RouteInput): ReadonlyMap<string, string> | null
}

export interface LocationHosts {
  /** Lower-cased exact host names. */
  readonly exact: readonly string[]
  /** Lower-cased suffixes including the dot, from `*.example.com` → `.example.com`. */
  readonly suffixes: readonly string[]
  /** True when some entry is a `~regex`. */
  readonly hasRegex: boolean
  /** True when the location has no host condition. */
  readonly any: boolean
}

export interface RouteMatch {
  readonly location: LocationMatcher
  readonly variables: ReadonlyMap<string, string>
}

/** Picks the location for one server. Every implementation must agree with linearRouter. */
export interface ServerRouter {
  route(input: RouteInput): RouteMatch | undefined
}

/** Shared empty capture map, so a match without captures allocates nothing. */
export const NO_VARIABLES: ReadonlyMap<string, string> = new Map()
