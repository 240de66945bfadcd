/**
 * The `image_optim` plugin: PNG and JPEG responses are re-encoded as WebP or AVIF when the
 * client's `Accept` allows it (else optimised in their own format); the cache key includes
 * the formats the client accepts, and converted responses carry `Vary: Accept`.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import { headerValue } from '../../core/context.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory, ResponseHead } from '../types.ts'
import { ImageTranscoder, type EncodeOptions, type ImageFormat } from './image-encode.ts'
import { REQUEST_STEPS, setState } from './shared.ts'

const OUTPUTS = ['avif', 'webp'] as const
type Output = (typeof OUTPUTS)[number]

const SOURCES: Readonly<Record<string, ImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
}

interface ImageOptimConf {
  readonly outputs: readonly Output[]
  readonly encode: EncodeOptions
}

function parseOutputs(options: PluginOptions): Output[] {
  const outputs: Output[] = []
  for (const item of options.stringOrList('output_types')) {
    const type = OUTPUTS.find((o) => o === item.toLowerCase())
    if (type === undefined) {
      throw options.error('output_types', `"${item}" is not one of ${OUTPUTS.join(', ')}`)
    }
    if (!outputs.includes(type)) outputs.push(type)
  }
  return outputs
}

/** The output types the client accepts, in config order (Pingap's substring test). */
function accepted(accept: string, outputs: readonly Output[]): Output[] {
  return outputs.filter((type) => accept.includes(`image/${type}`))
}

function mediaType(headers: OutgoingHttpHeaders): string {
  const value = headers['content-type']
  const text = Array.isArray(value) ? (value[0] ?? '') : String(value ?? '')
  return text.split(';')[0]?.trim().toLowerCase() ?? ''
}

function addVary(headers: OutgoingHttpHeaders, name: string): void {
  const vary = headers['vary']
  const current = Array.isArray(vary) ? vary.join(', ') : String(vary ?? '')
  if (current.split(',').some((v) => v.trim().toLowerCase() === name || v.trim() === '*')) return
  headers['vary'] = current === '' ? name : `${current}, ${name}`
}

/** What the response hook decided for one request (read back by the body hook). */
interface Decision {
  readonly format: ImageFormat
  readonly sameFormat: boolean
}

/** Re-encodes PNG and JPEG responses by `Accept`. */
export const imageOptim: PluginFactory<ImageOptimConf> = {
  category: 'image_optim',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, [
      'output_types',
      'png_quality',
      'jpeg_quality',
      'webp_quality',
      'avif_quality',
      'avif_speed',
    ])
    return {
      outputs: parseOutputs(options),
      encode: {
        pngQuality: options.int('png_quality', 90, 1, 100),
        jpegQuality: options.int('jpeg_quality', 80, 1, 100),
        webpQuality: options.int('webp_quality', 80, 1, 100),
        avifQuality: options.int('avif_quality', 75, 1, 100),
        // Pingap's speed runs 1 (slowest) to 10; sharp's effort runs 9 (slowest) to 0.
        avifEffort: 10 - options.int('avif_speed', 3, 1, 10),
      },
    }
  },

  create({ name, hash, step, conf }) {
    const { outputs, encode } = conf
    return {
      category: 'image_optim',
      name,
      hash,
      step,
      onRequest(ctx) {
        const types = accepted(headerValue(ctx.headers, 'accept') ?? '', outputs)
        if (types.length > 0) {
          ;(ctx.cacheKeys ??= []).push(
            types
              .map((t) => `image/${t}`)
              .sort()
              .join(','),
          )
        }
        return undefined
      },
      onUpstreamResponse(ctx, head: ResponseHead) {
        const source = SOURCES[mediaType(head.headers)]
        if (source === undefined || head.status !== 200) return
        addVary(head.headers, 'accept')
        const accept = headerValue(ctx.headers, 'accept')
        if (accept === undefined || head.headers['content-encoding'] !== undefined) return
        const target = accepted(accept, outputs)[0]
        const decision: Decision = { format: target ?? source, sameFormat: target === undefined }
        setState(ctx, name, decision)
        head.headers['content-type'] = `image/${decision.format}`
        delete head.headers['content-length']
        // The validators describe the upstream's bytes, not these.
        delete head.headers['etag']
        delete head.headers['content-md5']
        delete head.headers['accept-ranges']
      },
      onUpstreamResponseBody(ctx) {
        const decision = ctx.state?.get(name) as Decision | undefined
        if (decision === undefined) return undefined
        return new ImageTranscoder(decision.format, encode, decision.sameFormat)
      },
    }
  },
}
