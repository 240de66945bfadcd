/** The `response_headers` plugin: add, remove, set and rename headers of proxied responses. */
import type { RequestContext } from '../../core/context.ts'
import { compileHeaderValue, type HeaderValueFn } from '../../core/header-value.ts'
import { ConfigError } from '../../core/errors.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory, ResponseHead } from '../types.ts'
import { appendHeader, findHeader, readHeaderEntries, removeHeader, setHeader } from './headers.ts'

type Entry = readonly [name: string, value: HeaderValueFn]

interface ResponseHeadersConf {
  readonly add: readonly Entry[]
  readonly remove: readonly string[]
  readonly set: readonly Entry[]
  readonly setIfAbsent: readonly Entry[]
  readonly rename: ReadonlyArray<readonly [from: string, to: string]>
  readonly upstream: boolean
}

const KEYS = [
  'add_headers',
  'set_headers',
  'set_headers_not_exists',
  'remove_headers',
  'rename_headers',
  'mode',
]

function dynamicEntries(options: PluginOptions, key: string): Entry[] {
  return readHeaderEntries(options, key).map(([name, value]) => [name, compileHeaderValue(value)])
}

function renames(options: PluginOptions): Array<[string, string]> {
  return readHeaderEntries(options, 'rename_headers').map(([from, to], i) => {
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/i.test(to)) {
      throw new ConfigError(
        'PGT_ERR_CONFIG_INVALID',
        `${options.keyPath('rename_headers')}[${i}]`,
        [`"${to}" is not a header name`],
      )
    }
    return [from, to.toLowerCase()]
  })
}

/** Applies the rules in Pingap's fixed order: add, remove, set, set-if-absent, rename. */
function apply(conf: ResponseHeadersConf, ctx: RequestContext, head: ResponseHead): void {
  const headers = head.headers
  for (const [name, value] of conf.add) appendHeader(headers, name, value(ctx))
  for (const name of conf.remove) removeHeader(headers, name)
  for (const [name, value] of conf.set) setHeader(headers, name, value(ctx))
  for (const [name, value] of conf.setIfAbsent) {
    if (findHeader(headers, name) === undefined) headers[name] = value(ctx)
  }
  for (const [from, to] of conf.rename) {
    const values = removeHeader(headers, from)
    for (const value of values) appendHeader(headers, to, value)
  }
}

/** Edits response headers, on the upstream response (`mode = "upstream"`) or before sending. */
export const responseHeaders: PluginFactory<ResponseHeadersConf> = {
  category: 'response_headers',
  steps: ['response', 'upstream_response'],
  defaultStep: 'response',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, KEYS)
    const remove = options.stringList('remove_headers').map((n) => n.trim().toLowerCase())
    return {
      add: dynamicEntries(options, 'add_headers'),
      remove: remove.filter((n) => n !== ''),
      set: dynamicEntries(options, 'set_headers'),
      setIfAbsent: dynamicEntries(options, 'set_headers_not_exists'),
      rename: renames(options),
      upstream: options.string('mode').trim().toLowerCase() === 'upstream',
    }
  },

  create({ name, hash, step, conf }) {
    const hook = (ctx: RequestContext, head: ResponseHead): void => apply(conf, ctx, head)
    if (conf.upstream || step === 'upstream_response') {
      return {
        category: 'response_headers',
        name,
        hash,
        step: 'upstream_response',
        onUpstreamResponse: hook,
      }
    }
    return { category: 'response_headers', name, hash, step: 'response', onResponse: hook }
  },
}
