/**
 * The `compression` plugin (spec §5.3): gzip, brotli and (where Node has it) zstd from
 * node:zlib. Downstream mode encodes the response sent to the client, after every other body
 * filter, as Pingora's compression module does; upstream mode encodes (or decodes) the upstream
 * response before it is cached, and adds the chosen coding to the cache key.
 */
import type { RequestContext } from '../../core/context.ts'
import { headerValue } from '../../core/context.ts'
import { logger } from '../../core/logger.ts'
import { PluginOptions } from '../conf.ts'
import type { Plugin, PluginFactory, ResponseHead } from '../types.ts'
import {
  accepts,
  chooseEncoding,
  ENCODINGS,
  parseAcceptEncoding,
  type Encoding,
} from './compression/accept.ts'
import { ChainedTransform } from './compression/chain.ts'
import { createDecoder, createEncoder, MAX_LEVEL, zstdAvailable } from './compression/encoders.ts'
import {
  addVary,
  contentEncoding,
  contentLength,
  downstreamEligible,
  markEncoded,
  upstreamEligible,
} from './compression/eligibility.ts'
import { REQUEST_STEPS, setState } from './shared.ts'
import type { Transform } from 'node:stream'

const log = logger.child({ module: 'plugin', category: 'compression' })

export interface CompressionConf {
  readonly levels: Readonly<Record<Encoding, number>>
  /** Codings with a level above 0 that this Node can produce, in priority order. */
  readonly enabled: readonly Encoding[]
  readonly upstream: boolean
  readonly minLength: number
  readonly decompression: boolean
}

/** What the request step decided, read by the response hooks. */
interface CompressionState {
  readonly encoding: Encoding | undefined
  readonly acceptHeader: string | undefined
  /** Upstream mode: the stage prepared by the header hook for the body hook. */
  stage?: Transform | undefined
}

function state(ctx: RequestContext, name: string): CompressionState | undefined {
  return ctx.state?.get(name) as CompressionState | undefined
}

function readLevel(options: PluginOptions, key: string, max: number): number {
  return Math.min(options.int(key, 0, 0, Number.MAX_SAFE_INTEGER), max)
}

function hasBody(ctx: RequestContext, status: number): boolean {
  return ctx.method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304
}

/** Downstream mode: encode the response about to be sent (also cache hits). */
function encodeDownstream(
  conf: CompressionConf,
  ctx: RequestContext,
  head: ResponseHead,
  st: CompressionState,
): Transform | undefined {
  if (!downstreamEligible(head.status, head.headers)) return undefined
  addVary(head.headers)
  // A range answer must stay byte-exact (hostile-catalogue I6).
  if (st.encoding === undefined || ctx.headers.range !== undefined) return undefined
  const hint = contentLength(head.headers)
  markEncoded(head.headers, st.encoding)
  if (!hasBody(ctx, head.status)) return undefined
  return createEncoder(st.encoding, conf.levels[st.encoding], hint)
}

/** Upstream mode: encode, or decode what the client cannot read (`decompression`). */
function prepareUpstream(
  conf: CompressionConf,
  ctx: RequestContext,
  head: ResponseHead,
  st: CompressionState,
): void {
  const current = contentEncoding(head.headers)
  if (current !== '') {
    if (!conf.decompression || !hasBody(ctx, head.status)) return
    if (accepts(parseAcceptEncoding(st.acceptHeader ?? ''), current)) return
    const decoder = createDecoder(current)
    if (decoder === undefined) return
    const target = st.encoding
    addVary(head.headers)
    markEncoded(head.headers, target ?? '')
    st.stage =
      target === undefined
        ? decoder
        : new ChainedTransform(decoder, createEncoder(target, conf.levels[target]))
    return
  }
  if (st.encoding === undefined || !upstreamEligible(head.status, head.headers, conf.minLength)) {
    return
  }
  addVary(head.headers)
  const hint = contentLength(head.headers)
  markEncoded(head.headers, st.encoding)
  if (hasBody(ctx, head.status))
    st.stage = createEncoder(st.encoding, conf.levels[st.encoding], hint)
}

function createPlugin(
  conf: CompressionConf,
  base: Pick<Plugin, 'category' | 'name' | 'hash' | 'step'>,
): Plugin {
  const { name } = base
  const plugin: Plugin = {
    ...base,
    onRequest(ctx) {
      const acceptHeader = headerValue(ctx.headers, 'accept-encoding')
      const encoding = chooseEncoding(acceptHeader, conf.enabled)
      if (conf.upstream && encoding !== undefined) (ctx.cacheKeys ??= []).push(encoding)
      setState(ctx, name, { encoding, acceptHeader } satisfies CompressionState)
      return undefined
    },
  }
  if (!conf.upstream) {
    plugin.onResponseEncode = (ctx, head) => {
      const st = state(ctx, name)
      return st === undefined ? undefined : encodeDownstream(conf, ctx, head, st)
    }
    return plugin
  }
  plugin.onUpstreamResponse = (ctx, head) => {
    const st = state(ctx, name)
    if (st !== undefined) prepareUpstream(conf, ctx, head, st)
  }
  plugin.onUpstreamResponseBody = (ctx) => {
    const st = state(ctx, name)
    const stage = st?.stage
    if (st !== undefined) st.stage = undefined
    return stage
  }
  return plugin
}

/** gzip / br / zstd for responses; see docs/plugins/compression.md. */
export const compression: PluginFactory<CompressionConf> = {
  category: 'compression',
  steps: REQUEST_STEPS,
  defaultStep: 'early_request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, [
      'gzip_level',
      'br_level',
      'zstd_level',
      'mode',
      'min_length',
      'decompression',
    ])
    const levels: Record<Encoding, number> = {
      gzip: readLevel(options, 'gzip_level', MAX_LEVEL.gzip),
      br: readLevel(options, 'br_level', MAX_LEVEL.br),
      zstd: readLevel(options, 'zstd_level', MAX_LEVEL.zstd),
    }
    if (levels.zstd > 0 && !zstdAvailable) {
      log.warn('zstd is not available in this Node.js; zstd_level is ignored', {
        key: options.keyPath('zstd_level'),
        node: process.version,
      })
    }
    const mode = options.string('mode').trim().toLowerCase()
    if (mode !== '' && mode !== 'upstream' && mode !== 'downstream') {
      throw options.error('mode', `must be "upstream" or "downstream", not "${mode}"`)
    }
    return {
      levels,
      enabled: ENCODINGS.filter((e) => levels[e] > 0 && (e !== 'zstd' || zstdAvailable)),
      upstream: mode === 'upstream',
      minLength: options.int('min_length', 0),
      decompression: options.bool('decompression'),
    }
  },

  create({ name, hash, step, conf }) {
    return createPlugin(conf, { category: 'compression', name, hash, step })
  },
}
