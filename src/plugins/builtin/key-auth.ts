/** The `key_auth` plugin: API keys from a header or a query parameter. */
import { headerValue, queryValue } from '../../core/context.ts'
import { textResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { delayed, digest, matchesAny } from './shared.ts'

interface KeyAuthConf {
  /** Where the key is read: a query parameter (wins when both are set) or a header. */
  readonly source: { readonly query: string } | { readonly header: string }
  readonly digests: readonly Buffer[]
  readonly delayMs: number
  readonly hideCredentials: boolean
}

const MISSING = Object.freeze(textResponse(401, 'Key missing'))
const FAIL = Object.freeze(textResponse(401, 'Key auth fail'))

/** The query string without the `name` parameter(s). */
function withoutParam(query: string, name: string): string {
  return query
    .split('&')
    .filter((pair) => (pair.includes('=') ? pair.slice(0, pair.indexOf('=')) : pair) !== name)
    .join('&')
}

/** Checks an API key; answers 401 when missing or unknown. */
export const keyAuth: PluginFactory<KeyAuthConf> = {
  category: 'key_auth',
  // Pingap refuses any other step for key_auth (spec §5.3).
  steps: ['request'],
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, [
      'header',
      'query',
      'keys',
      'delay',
      'hide_credentials',
    ])
    const query = options.string('query').trim()
    const header = options.string('header').trim().toLowerCase()
    if (query === '' && header === '') throw options.error('query', 'set "query" or "header"')
    const keys = options.stringList('keys').filter((k) => k !== '')
    if (keys.length === 0) throw options.error('keys', 'needs at least one key')
    return {
      source: query !== '' ? { query } : { header },
      digests: keys.map((k) => digest(k)),
      delayMs: options.duration('delay', 0),
      hideCredentials: options.bool('hide_credentials'),
    }
  },

  create({ name, hash, step, conf }) {
    const { source, digests, delayMs, hideCredentials } = conf
    return {
      category: 'key_auth',
      name,
      hash,
      step,
      onRequest(ctx) {
        const key =
          'query' in source
            ? queryValue(ctx.query, source.query)
            : headerValue(ctx.headers, source.header)
        if (key === undefined || key === '') return MISSING
        if (!matchesAny(key, digests)) return delayed(delayMs, FAIL)
        if (hideCredentials) {
          if ('query' in source) ctx.query = withoutParam(ctx.query, source.query)
          else delete ctx.headers[source.header]
        }
        return undefined
      },
    }
  },
}
