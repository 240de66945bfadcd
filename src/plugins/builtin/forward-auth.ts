/**
 * The `forward_auth` plugin: asks an external service whether a request may pass (as nginx's
 * `auth_request` or Traefik's ForwardAuth). A 2xx answer lets it through, copying chosen answer
 * headers onto the upstream request; any other answer is relayed to the client as it is.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import { Pool } from '../../core/undici-lite.ts'
import type { RequestContext } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { logger } from '../../core/logger.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { readBody } from './read-body.ts'
import { REQUEST_STEPS } from './shared.ts'

interface ForwardAuthConf {
  readonly url: URL
  /** Lower-cased request headers to send; null sends them all. */
  readonly requestHeaders: ReadonlySet<string> | null
  /** Lower-cased headers of a 2xx answer to set on the upstream request. */
  readonly addHeaders: readonly string[]
  readonly timeoutMs: number
}

const log = logger.child({ module: 'plugin' })

/** Request headers that describe the client's connection or a body the GET does not have. */
const NOT_FORWARDED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
])

/** Answer headers the relayed response frames itself or that belong to the subrequest. */
const NOT_RELAYED = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
])

/** Most a relayed answer body may weigh; a bigger one is treated as a failed subrequest. */
const MAX_RELAYED_BYTES = 1024 * 1024

const FAILED = Object.freeze(textResponse(502, 'Forward auth request failed'))

function parseUrl(options: PluginOptions): URL {
  const value = options.required('auth_url').trim()
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw options.error('auth_url', `"${value}" is not an http(s) URL`)
  }
  return url
}

function headerNames(options: PluginOptions, key: string): string[] {
  return options
    .stringList(key)
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '')
}

/** The subrequest's headers: the chosen request headers plus the X-Forwarded-* set. */
function authHeaders(
  conf: ForwardAuthConf,
  ctx: RequestContext,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  const wanted = conf.requestHeaders
  for (const name in ctx.headers) {
    const value = ctx.headers[name]
    if (value === undefined || NOT_FORWARDED.has(name)) continue
    if (wanted === null || wanted.has(name)) out[name] = value
  }
  out['x-forwarded-method'] = ctx.method
  out['x-forwarded-uri'] = ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`
  out['x-forwarded-host'] = ctx.host
  out['x-forwarded-proto'] = ctx.scheme
  out['x-forwarded-for'] = ctx.clientIp
  return out
}

function relayedHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined && !NOT_RELAYED.has(name)) out[name] = value
  }
  return out
}

/** Asks the auth service; undefined lets the request through. */
async function check(
  conf: ForwardAuthConf,
  pool: Pool,
  ctx: RequestContext,
): Promise<HttpResponse | undefined> {
  const res = await pool.request({
    path: `${conf.url.pathname}${conf.url.search}`,
    method: 'GET',
    headers: authHeaders(conf, ctx),
    headersTimeout: conf.timeoutMs,
    bodyTimeout: conf.timeoutMs,
    signal: AbortSignal.timeout(conf.timeoutMs),
  })
  if (res.statusCode >= 200 && res.statusCode < 300) {
    await res.body.dump()
    // A header the auth service may set is the auth service's alone: the client's own value
    // goes even when the answer has none, or `X-User: admin` from the client would reach the
    // upstream as if it had been vouched for (hostile-catalogue F7; Pingap keeps it).
    for (const name of conf.addHeaders) {
      const value = res.headers[name]
      if (value !== undefined) ctx.headers[name] = value
      else if (ctx.headers[name] !== undefined) delete ctx.headers[name]
    }
    return undefined
  }
  const body = await readBody(res.body, MAX_RELAYED_BYTES)
  return { status: res.statusCode, headers: relayedHeaders(res.headers), body }
}

/** Lets a request through only when an external auth service answers 2xx. */
export const forwardAuth: PluginFactory<ForwardAuthConf> = {
  category: 'forward_auth',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, [
      'auth_url',
      'request_headers',
      'add_headers',
      'timeout',
    ])
    const url = parseUrl(options)
    const requestHeaders = headerNames(options, 'request_headers')
    const timeoutMs = options.duration('timeout', 10_000)
    if (timeoutMs <= 0) throw options.error('timeout', 'must be longer than 0s')
    return {
      url,
      requestHeaders: requestHeaders.length === 0 ? null : new Set(requestHeaders),
      addHeaders: headerNames(options, 'add_headers'),
      timeoutMs,
    }
  },

  create({ name, hash, step, conf }) {
    // One keep-alive pool per instance: the auth service is asked on every request.
    const pool = new Pool(conf.url.origin, { keepAliveTimeout: 30_000 })
    return {
      category: 'forward_auth',
      name,
      hash,
      step,
      onRequest(ctx) {
        return check(conf, pool, ctx).catch((err: unknown) => {
          log.warn('forward auth subrequest failed', { plugin: name, url: conf.url.href, err })
          return FAILED
        })
      },
      close: () => pool.close(),
    }
  },
}
