/**
 * INVARIANT: for every input, `indexedRouter(ls).route(input)` returns the same location (and
 * variables) as `linearRouter(ls).route(input)`. The index only shrinks the set of locations
 * that are tried; candidates are always tried in the oracle's weight order and the first full
 * match wins. test/unit/router/indexed-router.test.ts checks this on random configs.
 *
 * Buckets (Pingap's host_index.rs idea, decisions §3), by host: exact name (Map), `*.suffix`
 * (Map, probed once per dot of the request host), regex hosts, and host-less locations. Inside
 * each bucket, prefix and exact paths sit in a character trie, so a request only gathers the
 * locations whose literal prefix it starts with (`/ap` and `/api` both lie on the walk for
 * `/api/x`); regex and any-path locations are always candidates.
 */
import { byWeight } from './linear-router.ts'
import { parsePathRule } from './path-rule.ts'
import type { PathRule } from './path-rule.ts'
import type { LocationMatcher, RouteMatch, RouteInput, ServerRouter } from './types.ts'

interface TrieNode {
  children: Map<number, TrieNode> | undefined
  /** Ranks of prefix locations whose prefix ends at this node. */
  prefix: number[] | undefined
  /** Ranks of exact-path locations whose path ends at this node. */
  exact: number[] | undefined
}

interface PathIndex {
  /** Ranks tried whatever the path (regex or any path; all of them in a small bucket). */
  readonly always: readonly number[]
  readonly root: TrieNode | undefined
}

/** Below this many locations a bucket is scanned as a list; a trie would not pay off. */
const SMALL_BUCKET = 8
/** Candidate lists up to this length are sorted in place by insertion (no allocation). */
const INSERTION_SORT_MAX = 64

function newNode(): TrieNode {
  return { children: undefined, prefix: undefined, exact: undefined }
}

function nodeFor(root: TrieNode, text: string): TrieNode {
  let node = root
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    node.children ??= new Map()
    let child = node.children.get(code)
    if (child === undefined) {
      child = newNode()
      node.children.set(code, child)
    }
    node = child
  }
  return node
}

function buildPathIndex(ranks: readonly number[], rules: readonly PathRule[]): PathIndex {
  if (ranks.length <= SMALL_BUCKET) return { always: ranks, root: undefined }
  const always: number[] = []
  const root = newNode()
  for (const rank of ranks) {
    const rule = rules[rank]!
    if (rule.kind === 'prefix') (nodeFor(root, rule.value).prefix ??= []).push(rank)
    else if (rule.kind === 'exact') (nodeFor(root, rule.value).exact ??= []).push(rank)
    else always.push(rank)
  }
  return { always, root }
}

function pushAll(list: readonly number[] | undefined, out: Int32Array, n: number): number {
  if (list === undefined) return n
  for (let i = 0; i < list.length; i++) out[n++] = list[i]!
  return n
}

/** Appends the ranks of `index` that may match `path` to `out` from `n`; returns the new count. */
function collect(index: PathIndex | undefined, path: string, out: Int32Array, n: number): number {
  if (index === undefined) return n
  n = pushAll(index.always, out, n)
  let node = index.root
  if (node === undefined) return n
  n = pushAll(node.prefix, out, n)
  for (let i = 0; i < path.length; i++) {
    node = node.children?.get(path.charCodeAt(i))
    if (node === undefined) return n
    n = pushAll(node.prefix, out, n)
  }
  return pushAll(node.exact, out, n)
}

function sortRanks(ranks: Int32Array, n: number): void {
  if (n > INSERTION_SORT_MAX) {
    ranks.subarray(0, n).sort()
    return
  }
  for (let i = 1; i < n; i++) {
    const value = ranks[i]!
    let j = i - 1
    while (j >= 0 && ranks[j]! > value) {
      ranks[j + 1] = ranks[j]!
      j--
    }
    ranks[j + 1] = value
  }
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
  let capacity = 0
  ordered.forEach((location, rank) => {
    const hosts = location.hosts
    const buckets = [...new Set(hosts.exact)].length + [...new Set(hosts.suffixes)].length
    if (hosts.any) anyRanks.push(rank)
    if (hosts.hasRegex) regexRanks.push(rank)
    for (const host of new Set(hosts.exact)) addTo(exactRanks, host, rank)
    for (const suffix of new Set(hosts.suffixes)) addTo(suffixRanks, suffix, rank)
    capacity += buckets + (hosts.any ? 1 : 0) + (hosts.hasRegex ? 1 : 0)
  })
  const exact = indexBuckets(exactRanks, rules)
  const suffixes = indexBuckets(suffixRanks, rules)
  const regex = regexRanks.length > 0 ? buildPathIndex(regexRanks, rules) : undefined
  const any = anyRanks.length > 0 ? buildPathIndex(anyRanks, rules) : undefined
  // Reused by every call: route() runs to completion synchronously and is never re-entered.
  const scratch = new Int32Array(Math.max(capacity, 1))

  return {
    route(input: RouteInput): RouteMatch | undefined {
      const { host, path } = input
      let n = collect(any, path, scratch, 0)
      n = collect(regex, path, scratch, n)
      if (exact.size > 0) n = collect(exact.get(host), path, scratch, n)
      if (suffixes.size > 0) {
        for (let dot = host.indexOf('.', 1); dot !== -1; dot = host.indexOf('.', dot + 1)) {
          n = collect(suffixes.get(host.slice(dot)), path, scratch, n)
        }
      }
      sortRanks(scratch, n)
      let previous = -1
      for (let i = 0; i < n; i++) {
        const rank = scratch[i]!
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
