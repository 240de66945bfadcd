/** The `request_id` plugin: gives each request an id, kept when the client sent one. */
import { headerValue } from '../../core/context.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { nanoid, uuidv7 } from './ids.ts'
import { addResponseHeader, REQUEST_STEPS } from './shared.ts'

interface RequestIdConf {
  readonly generate: () => string
  /** Lower-cased request header that carries the id. */
  readonly header: string
}

/** Sets `ctx.requestId` and the request header, and echoes the id as `x-request-id`. */
export const requestId: PluginFactory<RequestIdConf> = {
  category: 'request_id',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['algorithm', 'size', 'header_name'])
    // Pingap treats every algorithm but "nanoid" as UUID (v7); "uuid" is what its sample says.
    const algorithm = options.string('algorithm').trim().toLowerCase()
    const size = options.int('size', 8, 1, 256)
    const header = (options.string('header_name').trim() || 'X-Request-Id').toLowerCase()
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(header)) {
      throw options.error('header_name', `"${header}" is not a header name`)
    }
    return { generate: algorithm === 'nanoid' ? () => nanoid(size) : () => uuidv7(), header }
  },

  create({ name, hash, step, conf }) {
    const { generate, header } = conf
    return {
      category: 'request_id',
      name,
      hash,
      step,
      onRequest(ctx) {
        let id = headerValue(ctx.headers, header)
        if (id === undefined || id === '') {
          id = generate()
          ctx.headers[header] = id
        }
        ctx.requestId = id
        addResponseHeader(ctx, 'x-request-id', id)
        return undefined
      },
    }
  },
}
