/**
 * Builds a location's plugin chains once per snapshot and runs them per request. Chains hold
 * only plugins that implement the hook, so runners need no checks; a runner never awaits a
 * plugin that answered synchronously, so a chain of sync plugins costs no microtask.
 */
import type { Transform } from 'node:stream'
import type { RequestContext } from '../core/context.ts'
import { ConfigError } from '../core/errors.ts'
import type { HttpResponse } from '../core/http-response.ts'
import type {
  BodyObserver,
  BodyPlugin,
  BodyStage,
  CacheLookupPlugin,
  CacheStorePlugin,
  DonePlugin,
  EncodePlugin,
  LocationChains,
  Plugin,
  PluginStep,
  RequestPlugin,
  ResponseHead,
  ResponsePlugin,
  UpstreamBodyPlugin,
  UpstreamResponsePlugin,
} from './types.ts'

const EMPTY = Buffer.alloc(0)

function orNull<T>(list: T[]): readonly T[] | null {
  return list.length === 0 ? null : Object.freeze(list)
}

/**
 * Resolves a location's `plugins = [...]` and splits it by hook, keeping config order. Request
 * hooks run only at the plugin's `step`; `path` is the key of the list, e.g.
 * `locations.api.plugins`.
 */
export function buildChains(
  names: readonly string[],
  plugins: ReadonlyMap<string, Plugin>,
  path: string,
): LocationChains {
  const list = names.map((name, i) => {
    const plugin = plugins.get(name)
    if (plugin === undefined) {
      throw new ConfigError('PGT_ERR_CONFIG_REF', `${path}[${i}]`, ['plugin', name])
    }
    return plugin
  })
  const at = (step: PluginStep): readonly RequestPlugin[] | null =>
    orNull(list.filter((p): p is RequestPlugin => p.step === step && p.onRequest !== undefined))

  return Object.freeze({
    request: Object.freeze({
      early_request: at('early_request'),
      request: at('request'),
      proxy_upstream: at('proxy_upstream'),
    }),
    upstreamResponse: orNull(
      list.filter((p): p is UpstreamResponsePlugin => p.onUpstreamResponse !== undefined),
    ),
    upstreamBody: orNull(
      list.filter((p): p is UpstreamBodyPlugin => p.onUpstreamResponseBody !== undefined),
    ),
    response: orNull(list.filter((p): p is ResponsePlugin => p.onResponse !== undefined)),
    body: orNull(list.filter((p): p is BodyPlugin => p.onResponseBody !== undefined)),
    done: orNull(list.filter((p): p is DonePlugin => p.onDone !== undefined)),
    cacheLookup: orNull(list.filter((p): p is CacheLookupPlugin => p.onCacheLookup !== undefined)),
    cacheStore: orNull(list.filter((p): p is CacheStorePlugin => p.onCacheStore !== undefined)),
    encode: orNull(list.filter((p): p is EncodePlugin => p.onResponseEncode !== undefined)),
  })
}

/**
 * Plugin timings are taken only for requests that will report them (`ctx.pluginTimings` set
 * to a list by the proxy, i.e. the server sends Server-Timing): two clock reads and an entry
 * per plugin are a measurable share of a cheap request.
 */
function clock(ctx: RequestContext): number {
  return ctx.pluginTimings === undefined ? 0 : performance.now()
}

function record(ctx: RequestContext, name: string, started: number): void {
  ctx.pluginTimings?.push([name, performance.now() - started])
}

function isPromise<T>(value: unknown): value is Promise<T> {
  return value instanceof Promise
}

/** The async tail of runRequestStep, entered at the first plugin that returned a promise. */
async function finishRequestStep(
  chain: readonly RequestPlugin[],
  ctx: RequestContext,
  from: number,
  pending: Promise<HttpResponse | undefined>,
  started: number,
): Promise<HttpResponse | undefined> {
  const first = await pending
  record(ctx, chain[from]!.name, started)
  if (first !== undefined) return first
  for (let i = from + 1; i < chain.length; i++) {
    const plugin = chain[i]!
    const began = clock(ctx)
    const response = await plugin.onRequest(ctx)
    record(ctx, plugin.name, began)
    if (response !== undefined) return response
  }
  return undefined
}

/**
 * Runs one request step in order; the first plugin that answers ends the chain and its
 * response is returned. Synchronous when every plugin answered synchronously.
 */
export function runRequestStep(
  chain: readonly RequestPlugin[] | null,
  ctx: RequestContext,
): HttpResponse | undefined | Promise<HttpResponse | undefined> {
  if (chain === null) return undefined
  for (let i = 0; i < chain.length; i++) {
    const plugin = chain[i]!
    const started = clock(ctx)
    const out = plugin.onRequest(ctx)
    if (isPromise<HttpResponse | undefined>(out))
      return finishRequestStep(chain, ctx, i, out, started)
    record(ctx, plugin.name, started)
    if (out !== undefined) return out
  }
  return undefined
}

/** Runs the `upstream_response` header hooks on the upstream response head. */
export function runUpstreamResponse(
  chain: readonly UpstreamResponsePlugin[] | null,
  ctx: RequestContext,
  head: ResponseHead,
): void {
  if (chain === null) return
  for (const plugin of chain) {
    const started = clock(ctx)
    plugin.onUpstreamResponse(ctx, head)
    record(ctx, plugin.name, started)
  }
}

async function finishResponse(
  chain: readonly ResponsePlugin[],
  ctx: RequestContext,
  head: ResponseHead,
  from: number,
  pending: Promise<void>,
  started: number,
): Promise<void> {
  await pending
  record(ctx, chain[from]!.name, started)
  for (let i = from + 1; i < chain.length; i++) {
    const plugin = chain[i]!
    const began = clock(ctx)
    await plugin.onResponse(ctx, head)
    record(ctx, plugin.name, began)
  }
}

/** Runs the `response` header hooks; synchronous when every hook was. */
export function runResponse(
  chain: readonly ResponsePlugin[] | null,
  ctx: RequestContext,
  head: ResponseHead,
): void | Promise<void> {
  if (chain === null) return
  for (let i = 0; i < chain.length; i++) {
    const plugin = chain[i]!
    const started = clock(ctx)
    const out = plugin.onResponse(ctx, head)
    if (isPromise<void>(out)) return finishResponse(chain, ctx, head, i, out, started)
    record(ctx, plugin.name, started)
  }
}

/** Which body the filters are for: the upstream's (before caching) or the one sent downstream. */
export type BodyKind = 'upstream' | 'response'

/**
 * Asks each body plugin for a filter for this response; null when none wants the body, so the
 * proxy can pipe the body through untouched. Call after the header hooks, before the head is
 * sent (a filter that changes the length has removed Content-Length in its header hook).
 */
export function collectBodyFilters(
  chain: readonly (UpstreamBodyPlugin | BodyPlugin)[] | null,
  ctx: RequestContext,
  head: ResponseHead,
  which: BodyKind,
): BodyStage[] | null {
  if (chain === null) return null
  let filters: BodyStage[] | null = null
  for (const plugin of chain) {
    const filter =
      which === 'upstream'
        ? plugin.onUpstreamResponseBody?.(ctx, head)
        : plugin.onResponseBody?.(ctx, head)
    if (filter === undefined) continue
    if (filters === null) filters = [filter]
    else filters.push(filter)
  }
  return filters
}

/**
 * Pipes one chunk through the filters in order. Each filter sees `end = true` exactly once:
 * when an earlier filter holds back the last chunk, the later ones get an empty one. Returns
 * null when the chunk was held back (never at the end).
 */
export function applyBodyFilters(
  filters: readonly BodyStage[],
  chunk: Buffer,
  end: boolean,
): Buffer | null {
  let data = chunk
  for (const filter of filters) {
    // Stream stages are piped by the proxy (proxy/body-writer.ts), never applied inline.
    if (typeof filter !== 'function') throw new TypeError('a stream body stage cannot run inline')
    const out = filter(data, end)
    if (out === null) {
      if (!end) return null
      data = EMPTY
    } else {
      data = out
    }
  }
  return data
}

/**
 * Runs the cache lookups (after the request steps); the first answer is a hit that the proxy
 * sends through the response hooks. Synchronous when every lookup was.
 */
export function runCacheLookup(
  chain: readonly CacheLookupPlugin[] | null | undefined,
  ctx: RequestContext,
): HttpResponse | undefined | Promise<HttpResponse | undefined> {
  if (chain === null || chain === undefined) return undefined
  for (let i = 0; i < chain.length; i++) {
    const plugin = chain[i]!
    const started = clock(ctx)
    const out = plugin.onCacheLookup(ctx)
    if (isPromise<HttpResponse | undefined>(out)) {
      return out.then(async (first) => {
        record(ctx, plugin.name, started)
        return first ?? (await runCacheLookup(chain.slice(i + 1), ctx))
      })
    }
    record(ctx, plugin.name, started)
    if (out !== undefined) return out
  }
  return undefined
}

/** Asks each cache for an observer of the upstream body; null when none stores it. */
export function collectCacheStore(
  chain: readonly CacheStorePlugin[] | null | undefined,
  ctx: RequestContext,
  head: ResponseHead,
): BodyObserver[] | null {
  if (chain === null || chain === undefined) return null
  let observers: BodyObserver[] | null = null
  for (const plugin of chain) {
    const observer = plugin.onCacheStore(ctx, head)
    if (observer === undefined) continue
    if (observers === null) observers = [observer]
    else observers.push(observer)
  }
  return observers
}

/** The first encoder stream a plugin offers for this response, if any. */
export function pickEncoder(
  chain: readonly EncodePlugin[] | null | undefined,
  ctx: RequestContext,
  head: ResponseHead,
): Transform | undefined {
  if (chain === null || chain === undefined) return undefined
  for (const plugin of chain) {
    const encoder = plugin.onResponseEncode(ctx, head)
    if (encoder !== undefined) return encoder
  }
  return undefined
}

/**
 * Tells the location's plugins that the request ended; call exactly once per request, whatever
 * the outcome. A failing hook must not keep the others from releasing what they hold.
 */
export function runDone(
  chain: readonly DonePlugin[] | null | undefined,
  ctx: RequestContext,
): void {
  if (chain === null || chain === undefined) return
  let failure: unknown
  for (const plugin of chain) {
    try {
      plugin.onDone(ctx)
    } catch (err) {
      failure ??= err
    }
  }
  if (failure !== undefined) {
    throw failure instanceof Error ? failure : new Error('onDone hook failed', { cause: failure })
  }
}
