/** The `ua_restriction` plugin: allow or deny by `User-Agent` regexes. */
import { headerValue } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_STEPS } from './shared.ts'

interface UaConf {
  readonly patterns: readonly RegExp[]
  readonly allow: boolean
  readonly forbidden: HttpResponse
}

/** Allows or denies by User-Agent (unanchored regexes, linear-time engine). */
export const uaRestriction: PluginFactory<UaConf> = {
  category: 'ua_restriction',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['ua_list', 'type', 'message'])
    return {
      patterns: options.regexList('ua_list'),
      allow: options.oneOf('type', ['allow', 'deny'], 'allow') === 'allow',
      forbidden: Object.freeze(
        textResponse(403, options.string('message') || 'Request is forbidden'),
      ),
    }
  },

  create({ name, hash, step, conf }) {
    const { patterns, allow, forbidden } = conf
    return {
      category: 'ua_restriction',
      name,
      hash,
      step,
      onRequest(ctx) {
        const ua = headerValue(ctx.headers, 'user-agent')
        const found = ua !== undefined && patterns.some((p) => p.test(ua))
        return found === allow ? undefined : forbidden
      },
    }
  },
}
