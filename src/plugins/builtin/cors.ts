/** The `cors` plugin: answers preflight `OPTIONS` and adds CORS headers to responses. */
import { headerValue, type RequestContext } from '../../core/context.ts'
import { compileHeaderValue, type HeaderValueFn } from '../../core/header-value.ts'
import type { HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { appendHeader, setHeader } from './headers.ts'

interface CorsConf {
  readonly path: RegExp | undefined
  readonly origin: HeaderValueFn
  /** The configured `allow_origin`. */
  readonly originText: string
  /** True when the origin depends on the request, so caches must key on `Origin`. */
  readonly varies: boolean
  /** Headers that do not depend on the request. */
  readonly fixed: ReadonlyArray<readonly [string, string]>
}

const KEYS = [
  'path',
  'allow_origin',
  'allow_methods',
  'allow_headers',
  'allow_credentials',
  'expose_headers',
  'max_age',
]

const DEFAULT_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS'

function fixedHeaders(options: PluginOptions): Array<[string, string]> {
  const headers: Array<[string, string]> = []
  const add = (name: string, value: string): void => {
    if (value.trim() !== '') headers.push([`access-control-${name}`, value.trim()])
  }
  add('allow-methods', options.string('allow_methods') || DEFAULT_METHODS)
  add('allow-headers', options.string('allow_headers'))
  const maxAge = Math.floor(options.duration('max_age', 3_600_000) / 1000)
  if (maxAge > 0) add('max-age', String(maxAge))
  if (options.bool('allow_credentials')) add('allow-credentials', 'true')
  add('expose-headers', options.string('expose_headers'))
  return headers
}

/** The CORS headers for this request; no allow-origin when a dynamic origin did not resolve. */
function corsHeaders(conf: CorsConf, ctx: RequestContext): Array<readonly [string, string]> {
  const origin = conf.origin(ctx)
  if (conf.varies && origin === conf.originText) return [...conf.fixed]
  return [...conf.fixed, ['access-control-allow-origin', origin]]
}

/** Answers CORS preflights and adds CORS headers to responses of requests with an `Origin`. */
export const cors: PluginFactory<CorsConf> = {
  category: 'cors',
  steps: ['request'],
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, KEYS)
    const origin = options.string('allow_origin').trim() || '*'
    return {
      path: options.regex('path'),
      // A literal origin ("*" or a fixed one) is sent as is (the documented intent, not quirk Q1).
      origin: compileHeaderValue(origin),
      originText: origin,
      varies: origin.startsWith('$') || origin.startsWith(':'),
      fixed: fixedHeaders(options),
    }
  },

  create({ name, hash, step, conf }) {
    const applies = (ctx: RequestContext): boolean =>
      conf.path === undefined || conf.path.test(ctx.path)
    return {
      category: 'cors',
      name,
      hash,
      step,
      onRequest(ctx): HttpResponse | undefined {
        if (ctx.method !== 'OPTIONS' || !applies(ctx)) return undefined
        const headers = Object.fromEntries(corsHeaders(conf, ctx))
        if (conf.varies) headers['vary'] = 'Origin'
        return { status: 204, headers, body: Buffer.alloc(0) }
      },
      onResponse(ctx, head) {
        if (headerValue(ctx.headers, 'origin') === undefined || !applies(ctx)) return
        for (const [header, value] of corsHeaders(conf, ctx)) setHeader(head.headers, header, value)
        if (conf.varies) appendHeader(head.headers, 'vary', 'Origin')
      },
    }
  },
}
