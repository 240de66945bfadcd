/** The `csrf` plugin: double-submit cookie tokens, signed with a secret key. */
import { createHash, timingSafeEqual } from 'node:crypto'
import { cookieValue, headerValue } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { nanoid } from './ids.ts'
import { REQUEST_STEPS } from './shared.ts'

interface CsrfConf {
  readonly tokenPath: string
  readonly key: string
  /** Header and cookie name. */
  readonly name: string
  /** Token lifetime in seconds; 0 = no expiry. */
  readonly ttl: number
}

const INVALID = Object.freeze(textResponse(401, 'Csrf token is empty or invalid'))
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function sign(id: string, tsHex: string, key: string): string {
  return createHash('sha256').update(`${id}.${tsHex}`).update(key).digest('base64')
}

/** A new token: `<nanoid(12)>.<unix seconds hex>.<base64 sha256("<id>.<ts>" + key)>`. */
export function newCsrfToken(key: string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const id = nanoid(12)
  const tsHex = nowSeconds.toString(16)
  return `${id}.${tsHex}.${sign(id, tsHex, key)}`
}

/** True for a well-signed token no older than `ttl` seconds (0 = any age). */
export function validCsrfToken(
  token: string,
  key: string,
  ttl: number,
  nowSeconds: number,
): boolean {
  const [id, tsHex, signature, extra] = token.split('.')
  if (id === undefined || tsHex === undefined || signature === undefined || extra !== undefined) {
    return false
  }
  const expected = Buffer.from(sign(id, tsHex, key))
  const given = Buffer.from(signature)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
  const ts = Number.parseInt(tsHex, 16)
  return ttl <= 0 || (Number.isFinite(ts) && nowSeconds - ts <= ttl)
}

function tokenResponse(conf: CsrfConf): HttpResponse {
  const maxAge = conf.ttl > 0 ? `; Max-Age=${conf.ttl}` : ''
  return textResponse(204, '', {
    'cache-control': 'private, no-store',
    'set-cookie': `${conf.name}=${newCsrfToken(conf.key)}; Path=/${maxAge}`,
  })
}

/** Issues tokens on `token_path` and checks them on unsafe methods. */
export const csrf: PluginFactory<CsrfConf> = {
  category: 'csrf',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['token_path', 'key', 'name', 'ttl'])
    return {
      tokenPath: options.required('token_path'),
      key: options.required('key'),
      name: options.string('name').trim() || 'x-csrf-token',
      ttl: Math.floor(options.duration('ttl', 0) / 1000),
    }
  },

  create({ name, hash, step, conf }) {
    return {
      category: 'csrf',
      name,
      hash,
      step,
      onRequest(ctx) {
        if (ctx.path === conf.tokenPath) return tokenResponse(conf)
        if (SAFE_METHODS.has(ctx.method)) return undefined
        const header = headerValue(ctx.headers, conf.name)
        const cookie = cookieValue(ctx.headers, conf.name)
        if (header === undefined || header === '' || header !== cookie) return INVALID
        const now = Math.floor(Date.now() / 1000)
        return validCsrfToken(header, conf.key, conf.ttl, now) ? undefined : INVALID
      },
    }
  },
}
