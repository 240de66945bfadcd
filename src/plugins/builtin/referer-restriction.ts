/** The `referer_restriction` plugin: allow or deny by the host of the `Referer` header. */
import { headerValue } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_STEPS } from './shared.ts'

interface RefererConf {
  readonly exact: ReadonlySet<string>
  /** `*.example.com` entries, kept as `.example.com` suffixes. */
  readonly suffixes: readonly string[]
  readonly allow: boolean
  readonly forbidden: HttpResponse
}

/** The host of a Referer URL, lower-cased; undefined when missing or unparseable. */
function refererHost(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined
  try {
    const host = new URL(value).hostname
    return host === '' ? undefined : host
  } catch {
    return undefined
  }
}

/** Allows or denies by Referer host (exact, or `*.suffix`). */
export const refererRestriction: PluginFactory<RefererConf> = {
  category: 'referer_restriction',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['referer_list', 'type', 'message'])
    const entries = options.stringList('referer_list').map((e) => e.trim().toLowerCase())
    return {
      exact: new Set(entries.filter((e) => e !== '' && !e.startsWith('*'))),
      suffixes: entries.filter((e) => e.startsWith('*')).map((e) => e.slice(1)),
      allow: options.oneOf('type', ['allow', 'deny'], 'allow') === 'allow',
      forbidden: Object.freeze(
        textResponse(403, options.string('message') || 'Request is forbidden'),
      ),
    }
  },

  create({ name, hash, step, conf }) {
    const { exact, suffixes, allow, forbidden } = conf
    const listed = (host: string | undefined): boolean =>
      host !== undefined && (exact.has(host) || suffixes.some((s) => host.endsWith(s)))
    return {
      category: 'referer_restriction',
      name,
      hash,
      step,
      onRequest(ctx) {
        const found = listed(refererHost(headerValue(ctx.headers, 'referer')))
        return found === allow ? undefined : forbidden
      },
    }
  },
}
