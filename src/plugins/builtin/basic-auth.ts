/** The `basic_auth` plugin: HTTP Basic authentication against a list of base64 `user:pass`. */
import { headerValue } from '../../core/context.ts'
import { textResponse } from '../../core/http-response.ts'
import { ConfigError } from '../../core/errors.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { delayed, digest, matchesAny, REQUEST_STEPS } from './shared.ts'

interface BasicAuthConf {
  /** SHA-256 of each configured base64 token, compared in constant time. */
  readonly digests: readonly Buffer[]
  readonly delayMs: number
  readonly hideCredentials: boolean
}

// Pingap's texts and realm (spec §5.3).
const CHALLENGE = { 'www-authenticate': 'Basic realm="Access to the staging site"' }
const MISSING = Object.freeze(textResponse(401, 'Authorization is missing', CHALLENGE))
const INVALID = Object.freeze(textResponse(401, 'Invalid user or password', CHALLENGE))

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** The credentials token of a `Basic` Authorization header (scheme case-insensitive, RFC 9110). */
function credentials(header: string): string | undefined {
  const space = header.indexOf(' ')
  if (space < 0 || header.slice(0, space).toLowerCase() !== 'basic') return undefined
  return header.slice(space + 1).trim()
}

/** Checks HTTP Basic credentials; answers 401 when missing or wrong. */
export const basicAuth: PluginFactory<BasicAuthConf> = {
  category: 'basic_auth',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['authorizations', 'delay', 'hide_credentials'])
    const entries = options.stringList('authorizations').map((s) => s.trim())
    if (entries.length === 0) throw options.error('authorizations', 'needs at least one entry')
    entries.forEach((entry, i) => {
      const decoded = BASE64.test(entry) ? Buffer.from(entry, 'base64').toString('utf8') : ''
      if (entry.length % 4 !== 0 || !decoded.includes(':')) {
        throw new ConfigError(
          'PGT_ERR_CONFIG_INVALID',
          `${options.keyPath('authorizations')}[${i}]`,
          ['must be base64 of "user:password"'],
        )
      }
    })
    return {
      digests: entries.map((e) => digest(e)),
      delayMs: options.duration('delay', 0),
      hideCredentials: options.bool('hide_credentials'),
    }
  },

  create({ name, hash, step, conf }) {
    const { digests, delayMs, hideCredentials } = conf
    return {
      category: 'basic_auth',
      name,
      hash,
      step,
      onRequest(ctx) {
        const header = headerValue(ctx.headers, 'authorization')
        if (header === undefined || header.trim() === '') return MISSING
        const token = credentials(header)
        if (token === undefined || !matchesAny(token, digests)) return delayed(delayMs, INVALID)
        if (hideCredentials) delete ctx.headers.authorization
        return undefined
      },
    }
  },
}
