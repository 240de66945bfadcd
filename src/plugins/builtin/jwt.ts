/** The `jwt` plugin: verifies HMAC-signed tokens and mints them on `auth_path`. */
import { cookieValue, headerValue, queryValue, type RequestContext } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { BodyFilter, PluginFactory, ResponseHead } from '../types.ts'
import { removeHeader, setHeader } from './headers.ts'
import {
  HMAC_ALGORITHMS,
  signHmacJwt,
  verifyHmacJwt,
  type HmacAlgorithm,
  type JwtFailure,
} from './jwt-hmac.ts'
import { delayed, REQUEST_STEPS } from './shared.ts'

interface JwtConf {
  readonly token: (ctx: RequestContext) => string | undefined
  readonly secret: string
  /** Algorithms accepted when verifying; the first one signs minted tokens. */
  readonly algorithms: readonly HmacAlgorithm[]
  readonly authPath: string
  readonly delayMs: number
}

const KEYS = [
  'header',
  'cookie',
  'query',
  'secret',
  'algorithm',
  'auth_path',
  'delay',
  'public_key',
  'jwks_url',
  'jwks_ttl',
]

const MISSING = Object.freeze(textResponse(401, 'Jwt authorization is missing'))
const FAILURES: Readonly<Record<JwtFailure, HttpResponse>> = {
  format: Object.freeze(textResponse(401, 'Jwt authorization format is invalid')),
  invalid: Object.freeze(textResponse(401, 'Jwt authorization is invalid')),
  expired: Object.freeze(textResponse(401, 'Jwt authorization is expired')),
}

function tokenReader(options: PluginOptions): JwtConf['token'] {
  const header = options.string('header').trim().toLowerCase()
  const cookie = options.string('cookie').trim()
  const query = options.string('query').trim()
  if (header !== '') {
    return (ctx) => {
      const value = headerValue(ctx.headers, header)
      return value?.startsWith('Bearer ') === true ? value.slice(7).trim() : value
    }
  }
  if (cookie !== '') return (ctx) => cookieValue(ctx.headers, cookie)
  if (query !== '') return (ctx) => queryValue(ctx.query, query)
  throw options.error('header', 'set one of "header", "cookie" or "query"')
}

function algorithms(options: PluginOptions): HmacAlgorithm[] {
  if (!options.has('algorithm')) return [...HMAC_ALGORITHMS]
  const value = options.string('algorithm').trim().toUpperCase()
  const found = HMAC_ALGORITHMS.find((a) => a === value)
  if (found === undefined) {
    throw options.error(
      'algorithm',
      `"${value}" is not supported (use ${HMAC_ALGORITHMS.join(', ')})`,
    )
  }
  return [found]
}

/** True when this response is a successful answer on `auth_path`, whose body becomes a token. */
function minting(conf: JwtConf, ctx: RequestContext, head: ResponseHead): boolean {
  return (
    conf.authPath !== '' && ctx.path === conf.authPath && head.status >= 200 && head.status < 300
  )
}

/** Buffers the claims and emits `{"token":"<jwt>"}` at the end of the body. */
function mintFilter(conf: JwtConf): BodyFilter {
  const chunks: Buffer[] = []
  return (chunk, end) => {
    if (chunk.length > 0) chunks.push(chunk)
    if (!end) return null
    const token = signHmacJwt(conf.algorithms[0]!, conf.secret, Buffer.concat(chunks))
    return Buffer.from(JSON.stringify({ token }))
  }
}

/** Verifies HMAC JWTs from a header, cookie or query; mints tokens on `auth_path`. */
export const jwt: PluginFactory<JwtConf> = {
  category: 'jwt',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, KEYS)
    // Pingap also verifies RS*/PS*/ES* keys and JWKS; pingap-ts does not yet, and says so
    // rather than letting every request through or refusing every one.
    for (const key of ['public_key', 'jwks_url', 'jwks_ttl']) {
      if (options.has(key)) throw options.error(key, 'is not supported yet (HMAC secrets only)')
    }
    return {
      token: tokenReader(options),
      secret: options.required('secret'),
      algorithms: algorithms(options),
      authPath: options.string('auth_path').trim(),
      delayMs: options.duration('delay', 0),
    }
  },

  create({ name, hash, step, conf }) {
    return {
      category: 'jwt',
      name,
      hash,
      step,
      onRequest(ctx) {
        if (conf.authPath !== '' && ctx.path === conf.authPath) {
          // The claims are signed as bytes: ask the upstream for an uncompressed body.
          delete ctx.headers['accept-encoding']
          return undefined
        }
        const token = conf.token(ctx)
        if (token === undefined || token === '') return MISSING
        const failure = verifyHmacJwt(
          token,
          conf.secret,
          conf.algorithms,
          Math.floor(Date.now() / 1000),
        )
        if (failure === undefined) return undefined
        return failure === 'invalid' ? delayed(conf.delayMs, FAILURES.invalid) : FAILURES[failure]
      },
      onResponse(ctx, head) {
        if (!minting(conf, ctx, head)) return
        removeHeader(head.headers, 'content-length')
        removeHeader(head.headers, 'content-encoding')
        setHeader(head.headers, 'content-type', 'application/json; charset=utf-8')
      },
      onResponseBody(ctx, head) {
        return minting(conf, ctx, head) ? mintFilter(conf) : undefined
      },
    }
  },
}
