/** The `mock` plugin: a canned response (status, headers, body) for one path or every path. */
import type { HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { headerMap, readHeaderEntries } from './headers.ts'
import { delayed, REQUEST_OR_PROXY } from './shared.ts'

interface MockConf {
  readonly path: string
  readonly delayMs: number
  readonly response: HttpResponse
}

/** Answers a configured response without contacting the upstream. */
export const mock: PluginFactory<MockConf> = {
  category: 'mock',
  steps: REQUEST_OR_PROXY,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['path', 'status', 'headers', 'data', 'delay'])
    // Pingap turns an invalid status into 200; pingap-ts says so at load instead.
    const status = options.int('status', 200, 100, 599)
    const headers = Object.freeze(headerMap(readHeaderEntries(options, 'headers')))
    const response = Object.freeze({ status, headers, body: Buffer.from(options.string('data')) })
    return { path: options.string('path'), delayMs: options.duration('delay', 0), response }
  },

  create({ name, hash, step, conf }) {
    const { path, delayMs, response } = conf
    return {
      category: 'mock',
      name,
      hash,
      step,
      onRequest(ctx) {
        if (path !== '' && ctx.path !== path) return undefined
        return delayed(delayMs, response)
      },
    }
  },
}
