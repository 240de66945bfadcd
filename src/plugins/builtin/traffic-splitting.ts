/** The `traffic_splitting` plugin: sends a share of requests to another upstream. */
import { randomInt } from 'node:crypto'
import { crc32 } from 'node:zlib'
import { cookieValue, headerValue, type RequestContext } from '../../core/context.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_STEPS } from './shared.ts'

interface TrafficSplittingConf {
  readonly upstream: string
  /** Percentage (0..100) of requests sent to `upstream`. */
  readonly weight: number
  /** Reads the sticky value; undefined when not sticky. */
  readonly sticky: ((ctx: RequestContext) => string | undefined) | undefined
  readonly matcher: RegExp | undefined
}

const KEYS = ['upstream', 'weight', 'stickiness', 'sticky_cookie', 'sticky_header', 'matcher']

/** A roll in 0..99 (255 = never selected), as Pingap computes it. */
function roll(conf: TrafficSplittingConf, ctx: RequestContext): number {
  if (conf.sticky === undefined) return randomInt(100)
  const value = conf.sticky(ctx)
  if (value === undefined || value === '') return 255
  if (conf.matcher !== undefined) return conf.matcher.test(value) ? 0 : 255
  return crc32(value) % 100
}

/** Resolves `$name` from the request variables, falling back to the literal name (spec §2.6). */
function upstreamName(name: string, ctx: RequestContext): string {
  if (!name.startsWith('$')) return name
  return ctx.variables?.get(name.slice(1)) ?? name
}

/** Picks an alternate upstream for `weight` percent of requests (sticky by cookie or header). */
export const trafficSplitting: PluginFactory<TrafficSplittingConf> = {
  category: 'traffic_splitting',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, KEYS)
    const cookie = options.string('sticky_cookie').trim()
    const header = options.string('sticky_header').trim().toLowerCase()
    let sticky: TrafficSplittingConf['sticky']
    if (options.bool('stickiness')) {
      if (cookie !== '') sticky = (ctx) => cookieValue(ctx.headers, cookie)
      else if (header !== '') sticky = (ctx) => headerValue(ctx.headers, header)
      else throw options.error('stickiness', 'needs "sticky_cookie" or "sticky_header"')
    }
    return {
      upstream: options.required('upstream').trim(),
      weight: options.int('weight', 0, 0, 100),
      sticky,
      matcher: options.regex('matcher'),
    }
  },

  create({ name, hash, step, conf }) {
    return {
      category: 'traffic_splitting',
      name,
      hash,
      step,
      onRequest(ctx) {
        if (roll(conf, ctx) < conf.weight) ctx.upstreamOverride = upstreamName(conf.upstream, ctx)
        return undefined
      },
    }
  },
}
