/** The `ping` plugin: answers `pong` on one exact path, for load-balancer probes. */
import { textResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_STEPS } from './shared.ts'

interface PingConf {
  readonly path: string
}

const PONG = Object.freeze(textResponse(200, 'pong'))

/** Answers "pong" on one path, for load-balancer health probes. */
export const ping: PluginFactory<PingConf> = {
  category: 'ping',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['path'])
    const value = options.string('path')
    if (value !== '' && !value.startsWith('/')) {
      throw options.error('path', 'must be a path starting with "/"')
    }
    return { path: value }
  },

  create({ name, hash, step, conf }) {
    // An empty path never matches (spec §5.3), so the plugin simply has no hook.
    if (conf.path === '') return { category: 'ping', name, hash, step }
    return {
      category: 'ping',
      name,
      hash,
      step,
      onRequest(ctx) {
        return ctx.path === conf.path ? PONG : undefined
      },
    }
  },
}
