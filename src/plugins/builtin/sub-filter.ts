/**
 * The `sub_filter` plugin (spec §5.3): text substitutions in response bodies. The body is
 * buffered (up to MAX_BODY_BYTES) and edited at its end; a compressed body is decoded first and
 * encoded again; a body that is too large, not UTF-8 or in a coding pingap-ts cannot decode is
 * passed through untouched (with a warning), never corrupted. The response is sent chunked.
 */
import { isUtf8 } from 'node:buffer'
import type { RequestContext } from '../../core/context.ts'
import { logger } from '../../core/logger.ts'
import { PluginOptions } from '../conf.ts'
import type { BodyFilter, Plugin, PluginFactory, ResponseHead } from '../types.ts'
import { contentEncoding, contentLength } from './compression/eligibility.ts'
import { findHeader, headerValues, removeHeader } from './headers.ts'
import { setState } from './shared.ts'
import { codecFor } from './sub-filter/codec.ts'
import { applyRules, parseRule, type SubRule } from './sub-filter/rules.ts'

const log = logger.child({ module: 'plugin', category: 'sub_filter' })

/** Largest body (as received, and once decoded) that is edited; larger ones pass untouched. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024

export interface SubFilterConf {
  readonly rules: readonly SubRule[]
  readonly path: RegExp | undefined
  /** Empty = every status. */
  readonly statuses: ReadonlySet<number>
}

function parseStatuses(options: PluginOptions, raw: unknown): Set<number> {
  const out = new Set<number>()
  // `"200,404"` (Pingap's form), or a TOML array of numbers or strings.
  const items = Array.isArray(raw)
    ? raw.map((v: unknown) => String(v).trim())
    : options.stringOrList('status_codes')
  for (const item of items) {
    const n = Number(item)
    if (!Number.isInteger(n) || n < 100 || n > 599) {
      throw options.error('status_codes', `"${item}" is not a status code`)
    }
    out.add(n)
  }
  return out
}

function weakenEtag(head: ResponseHead): void {
  const key = findHeader(head.headers, 'etag')
  if (key === undefined) return
  const etag = headerValues(head.headers[key])[0] ?? ''
  if (etag.startsWith('"')) head.headers[key] = `W/${etag}`
}

/** Edits the complete body; undefined when it must pass untouched. */
function rewrite(
  conf: SubFilterConf,
  body: Buffer,
  encoding: string,
  name: string,
): Buffer | undefined {
  const codec = codecFor(encoding)
  if (codec === undefined) return undefined
  let plain: Buffer
  try {
    plain = codec === null ? body : codec.decode(body, MAX_BODY_BYTES)
  } catch (err) {
    log.warn('sub_filter left a body it could not decode untouched', {
      plugin: name,
      encoding,
      err,
    })
    return undefined
  }
  if (!isUtf8(plain)) return undefined
  const edited = Buffer.from(applyRules(conf.rules, plain.toString('utf8')))
  return codec === null ? edited : codec.encode(edited)
}

/** The buffering filter of one response. */
function bodyFilter(conf: SubFilterConf, encoding: string, name: string): BodyFilter {
  let parts: Buffer[] | null = []
  let size = 0
  return (chunk, end) => {
    if (parts === null) return chunk // overflowed: pass the rest through as it comes
    parts.push(chunk)
    size += chunk.length
    if (size > MAX_BODY_BYTES) {
      log.warn('sub_filter body larger than its buffer; passed through untouched', {
        plugin: name,
        limit: MAX_BODY_BYTES,
      })
      const held = Buffer.concat(parts, size)
      parts = null
      return held
    }
    if (!end) return null
    const body = Buffer.concat(parts, size)
    parts = null
    return rewrite(conf, body, encoding, name) ?? body
  }
}

function createPlugin(
  conf: SubFilterConf,
  base: Pick<Plugin, 'category' | 'name' | 'hash' | 'step'>,
): Plugin {
  const { name } = base
  const applies = (ctx: RequestContext, head: ResponseHead): boolean => {
    if (conf.rules.length === 0) return false
    if (conf.statuses.size > 0 && !conf.statuses.has(head.status)) return false
    if (conf.path !== undefined && !conf.path.test(ctx.path)) return false
    const length = contentLength(head.headers)
    if (length !== undefined && length > MAX_BODY_BYTES) return false
    return codecFor(contentEncoding(head.headers)) !== undefined
  }
  return {
    ...base,
    onResponse(ctx, head) {
      if (!applies(ctx, head)) return
      removeHeader(head.headers, 'content-length')
      weakenEtag(head)
      setState(ctx, name, contentEncoding(head.headers))
    },
    onResponseBody(ctx) {
      const encoding = ctx.state?.get(name)
      if (typeof encoding !== 'string') return undefined
      return bodyFilter(conf, encoding, name)
    },
  }
}

/** Substitutions in response bodies; see docs/plugins/sub_filter.md. */
export const subFilter: PluginFactory<SubFilterConf> = {
  category: 'sub_filter',
  steps: ['response'],
  defaultStep: 'response',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['filters', 'path', 'status_codes'])
    const rules = options
      .stringList('filters')
      .map((entry, i) => parseRule(entry, `${options.keyPath('filters')}[${i}]`))
    return {
      rules,
      path: options.regex('path'),
      statuses: parseStatuses(options, raw['status_codes']),
    }
  },

  create({ name, hash, step, conf }) {
    return createPlugin(conf, { category: 'sub_filter', name, hash, step })
  },
}
