/** The `redirect` plugin: sends clients to https (or http) and/or under a path prefix. */
import { textResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_STEPS } from './shared.ts'

interface RedirectConf {
  readonly https: boolean
  readonly prefix: string
  readonly status: number
}

/** Statuses kept as configured; anything else becomes 307, as in Pingap. */
const REDIRECT_STATUSES = [301, 302, 308]

/** Redirects to the configured scheme and path prefix. */
export const redirect: PluginFactory<RedirectConf> = {
  category: 'redirect',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['http_to_https', 'prefix', 'status'])
    let prefix = options.string('prefix').trim()
    // A prefix of one character ("/" or "") means none (spec §5.3).
    if (prefix.length <= 1) prefix = ''
    else if (!prefix.startsWith('/')) prefix = `/${prefix}`
    const status = options.int('status', 307, 0, 999)
    return {
      https: options.bool('http_to_https'),
      prefix,
      status: REDIRECT_STATUSES.includes(status) ? status : 307,
    }
  },

  create({ name, hash, step, conf }) {
    const { https, prefix, status } = conf
    const scheme = https ? 'https' : 'http'
    return {
      category: 'redirect',
      name,
      hash,
      step,
      onRequest(ctx) {
        const onScheme = (ctx.scheme === 'https') === https
        if (onScheme && ctx.path.startsWith(prefix)) return undefined
        const path = ctx.path.startsWith(prefix) ? ctx.path : `${prefix}${ctx.path}`
        const uri = ctx.query === '' ? path : `${path}?${ctx.query}`
        return textResponse(status, '', { location: `${scheme}://${ctx.host}${uri}` })
      },
    }
  },
}
