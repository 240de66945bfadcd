/**
 * The cache plugin's `directory` option: empty or `memory://…` selects the process-wide memory
 * cache, anything else a file cache directory; both take `?key=value` settings.
 */
import { homedir } from 'node:os'
import { resolve } from 'node:path'
import { parseByteSize, parseDuration } from '../../../core/duration.ts'

/** Default memory budget of the process-wide memory cache. */
export const DEFAULT_MEMORY_BYTES = 100 * 1024 * 1024
/** Default disk budget of a file cache. */
export const DEFAULT_FILE_BYTES = 1024 * 1024 * 1024

export type StoreSpec =
  | { readonly kind: 'memory'; readonly id: string; readonly maxBytes: number }
  | {
      readonly kind: 'file'
      readonly id: string
      readonly dir: string
      readonly maxBytes: number
      /** Directory levels, e.g. [1, 2] for `levels=1:2`. */
      readonly levels: readonly number[]
      /** Entries unused this long are removed (0 = never). */
      readonly inactiveMs: number
    }

/** Settings Pingap accepts that tune its own tiers; accepted here and without effect. */
const ACCEPTED_FILE_KEYS = ['reading_max', 'writing_max', 'cache_max', 'cache_file_max_weight']

function size(value: string, key: string): number {
  const n = parseByteSize(value)
  if (n === undefined || n <= 0) throw new Error(`${key} must be a size such as "100mb"`)
  return n
}

function levels(value: string): number[] {
  const parts = value.split(':').map(Number)
  if (
    parts.length < 1 ||
    parts.length > 3 ||
    parts.some((n) => !Number.isInteger(n) || n < 1 || n > 2)
  ) {
    throw new Error('levels must be 1 to 3 numbers of 1 or 2, such as "1:2"')
  }
  return parts
}

function query(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const pair of text.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    out.set(
      decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq)),
      decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1)),
    )
  }
  return out
}

/** Parses `directory`; throws an Error whose message names the bad setting. */
export function parseStoreSpec(directory: string): StoreSpec {
  const text = directory.trim()
  const q = text.indexOf('?')
  const base = q < 0 ? text : text.slice(0, q)
  const params = query(q < 0 ? '' : text.slice(q + 1))
  if (base === '' || base.startsWith('memory://')) {
    let maxBytes = DEFAULT_MEMORY_BYTES
    for (const [key, value] of params) {
      if (key === 'max_size') maxBytes = size(value, key)
      else if (key !== 'mode') throw new Error(`unknown memory cache setting "${key}"`)
    }
    return { kind: 'memory', id: `memory:${maxBytes}`, maxBytes }
  }
  const path = base.startsWith('file://') ? base.slice(7) : base
  const dir = resolve(path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path)
  let maxBytes = DEFAULT_FILE_BYTES
  let dirLevels = [1, 2]
  let inactiveMs = 0
  for (const [key, value] of params) {
    if (key === 'max_size') maxBytes = size(value, key)
    else if (key === 'levels') dirLevels = levels(value)
    else if (key === 'inactive') {
      const ms = parseDuration(value)
      if (ms === undefined) throw new Error('inactive must be a duration such as "1d"')
      inactiveMs = ms
    } else if (!ACCEPTED_FILE_KEYS.includes(key)) {
      throw new Error(`unknown file cache setting "${key}"`)
    }
  }
  return { kind: 'file', id: `file:${dir}`, dir, maxBytes, levels: dirLevels, inactiveMs }
}
