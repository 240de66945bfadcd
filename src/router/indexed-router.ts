/**
 * INVARIANT: for every input, `indexedRouter(ls).route(input)` returns the same location (and
 * variables) as `linearRouter(ls).route(input)`. The index only shrinks the set of locations
 * that are tried; candidates are always tried in the oracle's weight order and the first full
 * match wins. test/unit/router/indexed-router.test.ts checks this on random configs.
 *
 * Buckets (Pingap's host_index.rs idea, decisions §3), by host: exact name (Map), `*.suffix`
 * (Map, probed once per dot of the request host), regex hosts, and host-less locations. Inside
 * each bucket, prefix and exact paths sit in a radix trie (path-trie.ts), so a request only gathers the
 * locations whose literal prefix it starts with (`/ap` and `/api` both lie on the walk for
 * `/api/x`); regex and any-path locations are always candidates.
 */
import { byWeight } from './linear-router.ts'
import { parsePathRule } from './path-rule.ts'
import type { PathRule } from './path-rule.ts'
import { insertPath, newTrieNode, type TrieNode } from './path-trie.ts'
import type { LocationMatcher, RouteMatch, RouteInput, ServerRouter } from './types.ts'

interface PathIndex {
  /** Ranks tried whatever the path (regex or any path; all of them in a small bucket). */
  readonly always: readonly number[]
  readonly root: TrieNode | undefined
}

/** Below this many locations a bucket is scanned as a list; a trie would not pay off. */
const SMALL_BUCKET = 8

function buildPathIndex(ranks: readonly number[], rules: readonly PathRule[]): PathIndex {
  if (ranks.length <= SMALL_BUCKET) return { always: ranks, root: undefined }
  const always: number[] = []
  const root = newTrieNode()
  for (const rank of ranks) {
    const rule = rules[rank]!
    if (rule.kind === 'prefix') (insertPath(root, rule.value).prefix ??= []).push(rank)
    else if (rule.kind === 'exact') (insertPath(root, rule.value).exact ??= []).push(rank)
    else always.push(rank)
  }
  return { always, root }
}

/** Candidate lists gathered for one request; each list is sorted by rank (weight order). */
interface Sources {
  readonly lists: Array<readonly number[]>
  readonly positions: number[]
  count: number
}

function addSource(sources: Sources, list: readonly number[] | undefined): void {
  if (list === undefined || list.length === 0) return
  sources.lists[sources.count] = list
  sources.positions[sources.count] = 0
  sources.count++
}

/** Adds the lists of `index` whose locations may match `path`. */
function collect(index: PathIndex | undefined, path: string, sources: Sources): void {
  if (index === undefined) return
  addSource(sources, index.always)
  let node = index.root
  if (node === undefined) return
  addSource(sources, node.prefix)
  let i = 0
  while (i < path.length) {
    node = node.children?.get(path.charCodeAt(i))
    // The walk ends where the path leaves the trie, even inside an edge: no node lies beyond.
    if (node === undefined || !path.startsWith(node.label, i)) return
    i += node.label.length
    addSource(sources, node.prefix)
  }
  addSource(sources, node.exact)
}

/**
 * Takes the smallest rank at the head of any list (a k-way merge), so candidates come out in
 * weight order without sorting them all; -1 when every list is exhausted.
 */
function nextRank(sources: Sources): number {
  let best = -1
  let from = -1
  for (let s = 0; s < sources.count; s++) {
    const list = sources.lists[s]!
    const position = sources.positions[s]!
    if (position < list.length) {
      const rank = list[position]!
      if (best < 0 || rank < best) {
        best = rank
        from = s
      }
    }
  }
  if (from >= 0) sources.positions[from]!++
  return best
}

function addTo(buckets: Map<string, number[]>, key: string, rank: number): void {
  const list = buckets.get(key)
  if (list === undefined) buckets.set(key, [rank])
  else list.push(rank)
}

function indexBuckets(
  buckets: Map<string, number[]>,
  rules: readonly PathRule[],
): Map<string, PathIndex> {
  return new Map([...buckets].map(([key, ranks]) => [key, buildPathIndex(ranks, rules)]))
}

/** A router whose lookup cost follows the locations that can match, not the total count. */
export function indexedRouter(locations: readonly LocationMatcher[]): ServerRouter {
  const ordered = byWeight(locations)
  const rules = ordered.map((location) => parsePathRule(location.conf.path))
  const exactRanks = new Map<string, number[]>()
  const suffixRanks = new Map<string, number[]>()
  const regexRanks: number[] = []
  const anyRanks: number[] = []
  ordered.forEach((location, rank) => {
    const hosts = location.hosts
    if (hosts.any) anyRanks.push(rank)
    if (hosts.hasRegex) regexRanks.push(rank)
    for (const host of new Set(hosts.exact)) addTo(exactRanks, host, rank)
    for (const suffix of new Set(hosts.suffixes)) addTo(suffixRanks, suffix, rank)
  })
  const exact = indexBuckets(exactRanks, rules)
  const suffixes = indexBuckets(suffixRanks, rules)
  const regex = regexRanks.length > 0 ? buildPathIndex(regexRanks, rules) : undefined
  const any = anyRanks.length > 0 ? buildPathIndex(anyRanks, rules) : undefined
  // Reused by every call: route() runs to completion synchronously and is never re-entered.
  const sources: Sources = { lists: [], positions: [], count: 0 }

  return {
    route(input: RouteInput): RouteMatch | undefined {
      const { host, path } = input
      sources.count = 0
      collect(any, path, sources)
      collect(regex, path, sources)
      if (exact.size > 0) collect(exact.get(host), path, sources)
      if (suffixes.size > 0) {
        for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
          collect(suffixes.get(host.slice(dot)), path, sources)
        }
      }
      // A location found through two buckets comes out twice in a row: skip the repeat.
      let previous = -1
      for (let rank = nextRank(sources); rank >= 0; rank = nextRank(sources)) {
        if (rank === previous) continue
        previous = rank
        const location = ordered[rank]!
        const variables = location.match(input)
        if (variables !== null) return { location, variables }
      }
      return undefined
    },
  }
}

/** The router the runtime uses for each server. */
export const createRouter = indexedRouter
