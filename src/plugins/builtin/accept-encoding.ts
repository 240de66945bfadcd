/** The `accept_encoding` plugin: rewrites the request `Accept-Encoding` to a configured order. */
import { headerValue } from '../../core/context.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_STEPS } from './shared.ts'

interface AcceptEncodingConf {
  readonly encodings: readonly string[]
  readonly onlyOne: boolean
}

/** Encodings the client accepts: token match, `q=0` meaning "not acceptable". */
function accepted(header: string): Set<string> {
  const result = new Set<string>()
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.split(';').map((s) => s.trim())
    const q = params.find((p) => p.toLowerCase().startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    if (token !== '') result.add(token.toLowerCase())
  }
  return result
}

/** Keeps the configured encodings the client accepts, in the configured order. */
export const acceptEncoding: PluginFactory<AcceptEncodingConf> = {
  category: 'accept_encoding',
  steps: REQUEST_STEPS,
  defaultStep: 'early_request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['encodings', 'only_one_encoding'])
    return {
      encodings: options.stringOrList('encodings').map((e) => e.toLowerCase()),
      onlyOne: options.bool('only_one_encoding'),
    }
  },

  create({ name, hash, step, conf }) {
    const { encodings, onlyOne } = conf
    return {
      category: 'accept_encoding',
      name,
      hash,
      step,
      onRequest(ctx) {
        const header = headerValue(ctx.headers, 'accept-encoding')
        if (header === undefined) return undefined
        const client = accepted(header)
        const kept = encodings.filter((e) => client.has(e))
        if (kept.length === 0) delete ctx.headers['accept-encoding']
        else ctx.headers['accept-encoding'] = onlyOne ? kept[0]! : kept.join(', ')
        return undefined
      },
    }
  },
}
