/**
 * The plugin contract (spec §5.1): request hooks at `early_request`, `request` and
 * `proxy_upstream` that may answer; header hooks on the upstream response and on the response
 * sent; body filters on both. Chains are split by step when the snapshot is built, so a hook
 * never runs at a step its plugin was not configured for.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Transform } from 'node:stream'
import type { RequestContext } from '../core/context.ts'
import type { HttpResponse } from '../core/http-response.ts'

/** Where in the request lifecycle a plugin runs; names match Pingap's `step`. */
export const PLUGIN_STEPS = [
  'early_request',
  'request',
  'proxy_upstream',
  'upstream_response',
  'response',
] as const
export type PluginStep = (typeof PLUGIN_STEPS)[number]
export type RequestStep = 'early_request' | 'request' | 'proxy_upstream'

/** The response head as it will be sent; hooks mutate it in place. */
export interface ResponseHead {
  status: number
  headers: OutgoingHttpHeaders
  readonly upstreamHeaders?: IncomingHttpHeaders
}

/**
 * Transforms one body chunk. Called with `end = true` exactly once, possibly with an empty
 * chunk. Returning `null` drops the chunk (e.g. while buffering).
 */
export type BodyFilter = (chunk: Buffer, end: boolean) => Buffer | null

/**
 * What a body hook returns: a synchronous filter, or a stream stage for work that cannot be
 * done synchronously chunk by chunk (zlib); the proxy writes the body into the stream and sends
 * what comes out of it, with back-pressure.
 */
export type BodyStage = BodyFilter | Transform

/** Sees each body chunk without changing it (the cache's capture); `end = true` exactly once. */
export type BodyObserver = (chunk: Buffer, end: boolean) => void

/** A configured plugin instance. */
export interface Plugin {
  /** Registry key, e.g. "basic_auth". */
  readonly category: string
  /** The `<name>` of `[plugins.<name>]`. */
  readonly name: string
  /** Hash of the plugin's table; an unchanged hash keeps the instance on reload. */
  readonly hash: string
  readonly step: PluginStep

  /** Request steps. Return a response to answer and end the request; nothing to continue. */
  onRequest?(ctx: RequestContext): HttpResponse | undefined | Promise<HttpResponse | undefined>
  /** Upstream response head, before caching and before `response` hooks. */
  onUpstreamResponse?(ctx: RequestContext, head: ResponseHead): void
  /** Response head before it is sent. Plugin-made responses skip this, as in Pingap. */
  onResponse?(ctx: RequestContext, head: ResponseHead): void | Promise<void>
  /** Once per upstream response; return a filter to see the body, undefined to leave it alone. */
  onUpstreamResponseBody?(ctx: RequestContext, head: ResponseHead): BodyStage | undefined
  /** Like onUpstreamResponseBody, for the body as sent downstream. */
  onResponseBody?(ctx: RequestContext, head: ResponseHead): BodyStage | undefined
  /**
   * After the request steps, before `proxy_upstream` (spec §4.3 step 3): answer from a cache.
   * The answer goes through the `response` hooks and body filters, unlike a plugin response.
   */
  onCacheLookup?(ctx: RequestContext): HttpResponse | undefined | Promise<HttpResponse | undefined>
  /**
   * The upstream response as a cache stores it: after every upstream hook and body stage, before
   * the `response` hooks. Return an observer to see the body (copy the head: it changes later).
   */
  onCacheStore?(ctx: RequestContext, head: ResponseHead): BodyObserver | undefined
  /**
   * The downstream content encoder (Pingora's compression module): asked after every `response`
   * hook and body filter; the first stream returned encodes the body sent to the client.
   */
  onResponseEncode?(ctx: RequestContext, head: ResponseHead): Transform | undefined
  /**
   * Called once when the request ends (response finished, or the client went away), for every
   * plugin of the location, even when an earlier plugin answered; releases per-request holds
   * such as `limit`'s inflight count (the plugin checks `ctx.state` for what it holds).
   */
  onDone?(ctx: RequestContext): void
  /** Starts timers this instance needs; called once just before the swap that first uses it. */
  start?(): void
  /** Releases timers, sockets, caches; called when a reload drops the instance. */
  close?(): Promise<void>
}

/** What a factory gets to build one instance. */
export interface PluginInit<Conf> {
  readonly name: string
  readonly hash: string
  readonly step: PluginStep
  readonly conf: Conf
}

/** How a category turns one `[plugins.<name>]` table into a Plugin. */
export interface PluginFactory<Conf = unknown> {
  readonly category: string
  /** Steps this category can run at; any other configured `step` is a config error. */
  readonly steps: readonly PluginStep[]
  readonly defaultStep: PluginStep
  /** Validates the raw table (every key checked, unknown keys rejected); throws ConfigError. */
  parse(raw: Readonly<Record<string, unknown>>, path: string): Conf
  create(init: PluginInit<Conf>): Plugin
}

export type RequestPlugin = Plugin & Required<Pick<Plugin, 'onRequest'>>
export type UpstreamResponsePlugin = Plugin & Required<Pick<Plugin, 'onUpstreamResponse'>>
export type ResponsePlugin = Plugin & Required<Pick<Plugin, 'onResponse'>>
export type UpstreamBodyPlugin = Plugin & Required<Pick<Plugin, 'onUpstreamResponseBody'>>
export type BodyPlugin = Plugin & Required<Pick<Plugin, 'onResponseBody'>>
export type DonePlugin = Plugin & Required<Pick<Plugin, 'onDone'>>
export type CacheLookupPlugin = Plugin & Required<Pick<Plugin, 'onCacheLookup'>>
export type CacheStorePlugin = Plugin & Required<Pick<Plugin, 'onCacheStore'>>
export type EncodePlugin = Plugin & Required<Pick<Plugin, 'onResponseEncode'>>

/**
 * Plugin chains of one location, split by hook when the snapshot is built.
 * `null` means "nothing to run", so the hot path is one comparison.
 */
export interface LocationChains {
  readonly request: Readonly<Record<RequestStep, readonly RequestPlugin[] | null>>
  readonly upstreamResponse: readonly UpstreamResponsePlugin[] | null
  readonly upstreamBody: readonly UpstreamBodyPlugin[] | null
  readonly response: readonly ResponsePlugin[] | null
  readonly body: readonly BodyPlugin[] | null
  /** Plugins to tell when the request ends (optional so older literals still type-check). */
  readonly done?: readonly DonePlugin[] | null
  /** Cache lookups after the request steps (optional like `done`). */
  readonly cacheLookup?: readonly CacheLookupPlugin[] | null
  /** Cache captures of the upstream response. */
  readonly cacheStore?: readonly CacheStorePlugin[] | null
  /** Downstream content encoders. */
  readonly encode?: readonly EncodePlugin[] | null
}

/** Chains for a location without plugins. */
export const EMPTY_CHAINS: LocationChains = Object.freeze({
  request: Object.freeze({ early_request: null, request: null, proxy_upstream: null }),
  upstreamResponse: null,
  upstreamBody: null,
  response: null,
  body: null,
  done: null,
  cacheLookup: null,
  cacheStore: null,
  encode: null,
})
