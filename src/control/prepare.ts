/**
 * The blocking first half of a reload: read the store, parse the TOML, validate, and compare
 * with the version being served. On 10,000 locations each of these steps blocks the event loop
 * for tens of milliseconds, so a file store runs them in a worker thread (prepare-thread.ts);
 * this module holds what both sides share and the in-process preparer for the other stores.
 */
import { setImmediate } from 'node:timers/promises'
import { ConfigError, ConfigErrors, type ErrorCode } from '../core/errors.ts'
import { sameJson } from '../core/same-json.ts'
import { parseConfig } from '../config/parse.ts'
import type { ConfigStore } from '../config/store.ts'
import { CONFIG_CATEGORIES, type PingapConfig, type SourceMap } from '../config/types.ts'
import { deltaOf, type ConfigDelta } from './versions.ts'

/** A loaded, validated config and how it differs from the config it was prepared against. */
export interface PreparedConfig {
  readonly config: PingapConfig
  readonly sources: SourceMap
  /**
   * Set when `config` already shares every unchanged item with `base` (the argument of
   * `prepare`), so nobody needs to compare the two again on the main thread.
   */
  readonly delta?: ConfigDelta
}

/** Turns the store's current content into a PreparedConfig; throws ConfigErrors when invalid. */
export interface ConfigPreparer {
  prepare(base: PingapConfig | undefined): Promise<PreparedConfig>
  close(): Promise<void>
}

/** Loads and validates on this thread, yielding between the steps (etcd and memory stores). */
export function inProcessPreparer(store: ConfigStore): ConfigPreparer {
  return {
    async prepare() {
      const loaded = await store.load()
      // Each stage of a large reload is a long synchronous step: let requests run in between.
      await setImmediate()
      return { config: parseConfig(loaded), sources: loaded.sources }
    },
    close: () => Promise.resolve(),
  }
}

// ---------------------------------------------------------------------------------------------
// The wire form between the worker and the main thread.

type ItemCategory = Exclude<(typeof CONFIG_CATEGORIES)[number], 'basic'>
const ITEM_CATEGORIES = CONFIG_CATEGORIES.filter((c): c is ItemCategory => c !== 'basic')

/**
 * A prepared config as it crosses the thread boundary. With `base` set, only the items that
 * differ from that config travel; the others are taken from the receiver's copy of it.
 */
export interface PreparedMessage {
  readonly hash: string
  /** The hash of the config the items were compared with; absent: every item is here. */
  readonly base?: string
  readonly changes?: readonly string[]
  /** Undefined when equal to the base's. */
  readonly basic?: PingapConfig['basic']
  /** Item names of each category, in config order; a category is left out when they are the base's. */
  readonly names: Readonly<Partial<Record<ItemCategory, readonly string[]>>>
  /** The items that are new or differ from the base (every item without a base). */
  readonly items: Readonly<Record<ItemCategory, Readonly<Record<string, unknown>>>>
  /** Absent when equal to the base's (which the receiver said it holds). */
  readonly sources?: SourceMap
}

/** True when two source maps say the same (the usual reload: one file's content changed). */
export function sameSources(a: SourceMap, b: SourceMap): boolean {
  if (a.size !== b.size) return false
  for (const [item, file] of a) if (b.get(item) !== file) return false
  return true
}

/**
 * The message for `config`: against `base` when given (only the changed items travel), and
 * without sources when `sources` is undefined (equal to the base's).
 */
export function encodePrepared(
  config: PingapConfig,
  sources: SourceMap | undefined,
  base: PingapConfig | undefined,
): PreparedMessage {
  const delta = base === undefined ? undefined : deltaOf(base, config)
  const names: Partial<Record<ItemCategory, string[]>> = {}
  const items = {} as Record<ItemCategory, Record<string, unknown>>
  for (const category of ITEM_CATEGORIES) {
    const own: Readonly<Record<string, unknown>> = config[category]
    const old: Readonly<Record<string, unknown>> | undefined = base?.[category]
    const list = Object.keys(own)
    // 10,000 location names need not cross the boundary when only an item's content changed.
    if (old === undefined || !sameJson(list, Object.keys(old))) names[category] = list
    const changed: Record<string, unknown> = {}
    for (const name of list) {
      // deltaOf put the base's object wherever the item is unchanged.
      const value = delta === undefined ? own[name] : delta.shared[category][name]
      if (old === undefined || value !== old[name]) changed[name] = value
    }
    items[category] = changed
  }
  const sameBasic = delta !== undefined && delta.shared.basic === base?.basic
  return {
    hash: config.hash,
    ...(base !== undefined && delta !== undefined
      ? { base: base.hash, changes: delta.changes }
      : {}),
    ...(sameBasic ? {} : { basic: config.basic }),
    names,
    items,
    ...(sources !== undefined ? { sources } : {}),
  }
}

/**
 * The config a message describes. When it was made against `base` (same hash), unchanged items
 * are `base`'s own objects, so the snapshot build and the notifications can tell them unchanged
 * by identity instead of comparing 10,000 items again.
 */
export function decodePrepared(
  message: PreparedMessage,
  base: PingapConfig | undefined,
  baseSources?: SourceMap,
): PreparedConfig {
  const against = message.base !== undefined && base?.hash === message.base ? base : undefined
  if (message.base !== undefined && against === undefined) {
    throw new Error(`prepared against config ${message.base}, not the one given`)
  }
  const sources = message.sources ?? (against !== undefined ? baseSources : undefined)
  if (sources === undefined) throw new Error('prepared config without its sources')
  const config: Record<string, unknown> = { basic: message.basic ?? against?.basic }
  for (const category of ITEM_CATEGORIES) {
    const fresh = message.items[category]
    const old: Readonly<Record<string, unknown>> = against?.[category] ?? {}
    const out: Record<string, unknown> = {}
    for (const name of message.names[category] ?? Object.keys(old)) {
      out[name] = Object.hasOwn(fresh, name) ? fresh[name] : old[name]
    }
    config[category] = out
  }
  config['hash'] = message.hash
  const result = config as unknown as PingapConfig
  if (against === undefined || message.changes === undefined) {
    return { config: result, sources }
  }
  return {
    config: result,
    sources,
    delta: { changes: [...message.changes], shared: result },
  }
}

// ---------------------------------------------------------------------------------------------
// Errors cross the boundary as data and are rebuilt with the same messages.

/** A ConfigError as data. */
export interface ErrorData {
  readonly code: string
  readonly path: string
  readonly args: readonly unknown[]
  readonly file?: string
}

/** What a failed preparation sends: config errors as data, anything else as its message. */
export type FailureData =
  | { readonly kind: 'config'; readonly errors: readonly ErrorData[] }
  | { readonly kind: 'other'; readonly message: string }

/** Message arguments are names and numbers; anything else travels as its text. */
function plainArg(arg: unknown): unknown {
  if (arg === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof arg)) return arg
  return arg instanceof Error ? arg.message : JSON.stringify(arg)
}

function errorData(err: ConfigError): ErrorData {
  return {
    code: err.code,
    path: err.path,
    args: err.args.map(plainArg),
    ...(err.file !== undefined ? { file: err.file } : {}),
  }
}

/** The data of whatever a preparation threw. */
export function encodeFailure(err: unknown): FailureData {
  if (err instanceof ConfigErrors) return { kind: 'config', errors: err.errors.map(errorData) }
  if (err instanceof ConfigError) return { kind: 'config', errors: [errorData(err)] }
  return { kind: 'other', message: err instanceof Error ? err.message : String(err) }
}

/** The error to throw for a failure (same messages as the original). */
export function decodeFailure(data: FailureData): Error {
  if (data.kind === 'other') return new Error(data.message)
  const errors = data.errors.map(
    (e) =>
      new ConfigError(e.code as ErrorCode, e.path, e.args, {
        ...(e.file !== undefined ? { file: e.file } : {}),
      }),
  )
  return new ConfigErrors(errors)
}
