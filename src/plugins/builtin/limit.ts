/** The `limit` plugin: per-key request rate or concurrent requests (counters per process). */
import { cookieValue, headerValue, queryValue, type RequestContext } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { Plugin, PluginFactory } from '../types.ts'
import { RateWindows } from './rate-window.ts'
import { REQUEST_OR_PROXY, setState } from './shared.ts'

type KeyFn = (ctx: RequestContext) => string | undefined

interface LimitConf {
  readonly inflight: boolean
  readonly key: KeyFn
  readonly max: number
  readonly intervalMs: number
  /** Share of the current window in the rate estimate, 0..1. */
  readonly weight: number
}

function keyReader(tag: string, name: string): KeyFn {
  switch (tag) {
    case 'header':
      return (ctx) => headerValue(ctx.headers, name)
    case 'cookie':
      return (ctx) => cookieValue(ctx.headers, name)
    case 'query':
      return (ctx) => queryValue(ctx.query, name)
    default:
      return (ctx) => ctx.clientIp
  }
}

function exceeded(value: number, max: number, headers: Record<string, string> = {}): HttpResponse {
  return textResponse(429, `Plugin limit, exceed limit ${value}/${max}`, headers)
}

function rateLimiter(base: Omit<Plugin, 'category'>, conf: LimitConf): Plugin {
  const windows = new RateWindows(conf.intervalMs, conf.weight)
  const seconds = conf.intervalMs / 1000
  // Pingap's budget is per second: max / max(interval, 1s), against the estimate / interval.
  const budget = conf.max / Math.max(seconds, 1)
  return {
    ...base,
    category: 'limit',
    onRequest(ctx) {
      const key = conf.key(ctx)
      if (key === undefined || key === '') return undefined
      const now = Date.now()
      const count = windows.observe(key, now)
      if (count / seconds <= budget) return undefined
      const retryAfter = String(Math.max(1, Math.ceil(windows.remaining(now) / 1000)))
      return exceeded(Math.ceil(count), conf.max, { 'retry-after': retryAfter })
    },
  }
}

function inflightLimiter(base: Omit<Plugin, 'category'>, conf: LimitConf): Plugin {
  const inflight = new Map<string, number>()
  const name = base.name
  return {
    ...base,
    category: 'limit',
    onRequest(ctx) {
      const key = conf.key(ctx)
      if (key === undefined || key === '') return undefined
      const count = (inflight.get(key) ?? 0) + 1
      if (count > conf.max) return exceeded(count, conf.max)
      inflight.set(key, count)
      setState(ctx, name, key)
      return undefined
    },
    onDone(ctx) {
      const key = ctx.state?.get(name)
      if (typeof key !== 'string') return
      ctx.state?.delete(name)
      const count = (inflight.get(key) ?? 1) - 1
      if (count <= 0) inflight.delete(key)
      else inflight.set(key, count)
    },
  }
}

/** Limits requests per key by rate over `interval`, or by concurrent requests (`type = "inflight"`). */
export const limit: PluginFactory<LimitConf> = {
  category: 'limit',
  steps: REQUEST_OR_PROXY,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, [
      'type',
      'tag',
      'key',
      'max',
      'interval',
      'weight',
    ])
    // Pingap: "inflight", or rate for anything else (its docs say "rate").
    const inflight = options.string('type').trim().toLowerCase() === 'inflight'
    const tag = options.oneOf('tag', ['ip', 'header', 'cookie', 'query'], 'ip')
    const intervalMs = options.duration('interval', 10_000)
    if (intervalMs <= 0) throw options.error('interval', 'must be longer than 0s')
    return {
      inflight,
      key: keyReader(tag, options.string('key').trim()),
      max: options.int('max', 0),
      intervalMs,
      weight: options.int('weight', 50, 0, 100) / 100,
    }
  },

  create({ name, hash, step, conf }) {
    const base = { name, hash, step }
    return conf.inflight ? inflightLimiter(base, conf) : rateLimiter(base, conf)
  },
}
