/**
 * Options of the `jwt` plugin. The verification mode follows Pingap's priority: a static
 * `public_key`, else a `jwks_url`, else the HMAC `secret`. Combinations that Pingap would
 * silently ignore part of are refused with the key that does not fit.
 */
import type { KeyObject } from 'node:crypto'
import { cookieValue, headerValue, queryValue, type RequestContext } from '../../core/context.ts'
import type { PluginOptions } from '../conf.ts'
import {
  ASYMMETRIC_ALGORITHMS,
  algorithmsForKey,
  asymmetricAlgorithm,
  readPublicKey,
  type AsymmetricAlgorithm,
} from './jwt-keys.ts'
import { HMAC_ALGORITHMS, type HmacAlgorithm } from './jwt-hmac.ts'

/** Every key of a `jwt` table besides category, step and remark. */
export const JWT_KEYS: readonly string[] = [
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

/** How tokens are verified. */
export type JwtMode =
  | { readonly kind: 'hmac'; readonly algorithms: readonly HmacAlgorithm[] }
  | {
      readonly kind: 'key'
      readonly key: KeyObject
      readonly algorithms: readonly AsymmetricAlgorithm[]
    }
  | {
      readonly kind: 'jwks'
      readonly url: string
      readonly ttlMs: number
      readonly algorithms: readonly AsymmetricAlgorithm[]
    }

export interface JwtConf {
  readonly token: (ctx: RequestContext) => string | undefined
  readonly mode: JwtMode
  /** HMAC secret: verifies in `hmac` mode, signs minted tokens in every mode ('' = no minting). */
  readonly secret: string
  /** Algorithm of minted tokens. */
  readonly mintAlgorithm: HmacAlgorithm
  readonly authPath: string
  readonly delayMs: number
}

const HOUR_MS = 3_600_000

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

type Algorithm = HmacAlgorithm | AsymmetricAlgorithm

function configuredAlgorithm(options: PluginOptions): Algorithm | undefined {
  if (!options.has('algorithm')) return undefined
  const value = options.string('algorithm').trim()
  const found = HMAC_ALGORITHMS.find((a) => a === value.toUpperCase()) ?? asymmetricAlgorithm(value)
  if (found === undefined) {
    const all = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS].join(', ')
    throw options.error('algorithm', `"${value}" is not supported (use one of ${all})`)
  }
  return found
}

function isHmac(alg: Algorithm): alg is HmacAlgorithm {
  return (HMAC_ALGORITHMS as readonly string[]).includes(alg)
}

function keyMode(options: PluginOptions, alg: Algorithm | undefined): JwtMode {
  const key = readPublicKey(options.string('public_key'))
  if (typeof key === 'string') throw options.error('public_key', key)
  const usable = algorithmsForKey(key)
  if (alg === undefined) return { kind: 'key', key, algorithms: usable }
  if (isHmac(alg) || !usable.includes(alg)) {
    throw options.error(
      'algorithm',
      `"${alg}" cannot be verified with this public key (use ${usable.join(', ')})`,
    )
  }
  return { kind: 'key', key, algorithms: [alg] }
}

function jwksMode(options: PluginOptions, alg: Algorithm | undefined): JwtMode {
  const url = options.string('jwks_url').trim()
  let parsed: URL | undefined
  try {
    parsed = new URL(url)
  } catch {
    parsed = undefined
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw options.error('jwks_url', `"${url}" is not an http(s) URL`)
  }
  const ttlMs = options.duration('jwks_ttl', HOUR_MS)
  if (ttlMs <= 0) throw options.error('jwks_ttl', 'must be longer than 0s')
  if (alg !== undefined && isHmac(alg)) {
    throw options.error('algorithm', `"${alg}" is an HMAC algorithm; a JWKS holds public keys`)
  }
  return {
    kind: 'jwks',
    url: parsed.href,
    ttlMs,
    algorithms: alg === undefined ? ASYMMETRIC_ALGORITHMS : [alg],
  }
}

function hmacMode(options: PluginOptions, alg: Algorithm | undefined): JwtMode {
  if (alg !== undefined && !isHmac(alg)) {
    throw options.error('algorithm', `"${alg}" needs "public_key" or "jwks_url"`)
  }
  return { kind: 'hmac', algorithms: alg === undefined ? HMAC_ALGORITHMS : [alg] }
}

/** Reads and checks a `jwt` table; every problem names its key. */
export function parseJwtConf(options: PluginOptions): JwtConf {
  const token = tokenReader(options)
  const alg = configuredAlgorithm(options)
  const hasKey = options.string('public_key').trim() !== ''
  const hasJwks = options.string('jwks_url').trim() !== ''
  if (hasKey && hasJwks)
    throw options.error('jwks_url', 'set either "public_key" or "jwks_url", not both')
  if (!hasJwks && options.has('jwks_ttl')) throw options.error('jwks_ttl', 'needs "jwks_url"')
  const mode = hasKey
    ? keyMode(options, alg)
    : hasJwks
      ? jwksMode(options, alg)
      : hmacMode(options, alg)
  const authPath = options.string('auth_path').trim()
  const secret =
    mode.kind === 'hmac' || authPath !== '' ? options.required('secret') : options.string('secret')
  return {
    token,
    mode,
    secret,
    mintAlgorithm: mode.kind === 'hmac' ? (mode.algorithms[0] ?? 'HS256') : 'HS256',
    authPath,
    delayMs: options.duration('delay', 0),
  }
}
