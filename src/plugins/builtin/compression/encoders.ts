/**
 * zlib streams for each coding. Brotli runs at the configured quality with a size hint; zstd
 * only where the running Node has it (22.15+, not 20), which `zstdAvailable` reports.
 */
import * as zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import type { Encoding } from './accept.ts'

type ZstdFactory = (options?: { params?: Record<number, number> }) => Transform

interface ZstdZlib {
  createZstdCompress?: ZstdFactory
  createZstdDecompress?: ZstdFactory
  constants: { ZSTD_c_compressionLevel?: number }
}

const zstd = zlib as unknown as ZstdZlib

/** True when this Node can produce and read zstd. */
export const zstdAvailable: boolean =
  typeof zstd.createZstdCompress === 'function' && typeof zstd.createZstdDecompress === 'function'

/** Highest level per coding; larger configured values are clamped (Pingap does the same). */
export const MAX_LEVEL: Readonly<Record<Encoding, number>> = { gzip: 9, br: 11, zstd: 22 }

/** A compressing stream for `encoding` at `level`; `sizeHint` is the body length when known. */
export function createEncoder(encoding: Encoding, level: number, sizeHint?: number): Transform {
  if (encoding === 'gzip') return zlib.createGzip({ level })
  if (encoding === 'br') {
    const params: Record<number, number> = { [zlib.constants.BROTLI_PARAM_QUALITY]: level }
    if (sizeHint !== undefined && sizeHint > 0) {
      params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = sizeHint
    }
    return zlib.createBrotliCompress({ params })
  }
  const create = zstd.createZstdCompress
  if (create === undefined) throw new Error('zstd is not available in this Node.js')
  return create({ params: { [zstd.constants.ZSTD_c_compressionLevel ?? 100]: level } })
}

/** A decoding stream for a `Content-Encoding` value, or undefined when it cannot be decoded. */
export function createDecoder(contentEncoding: string): Transform | undefined {
  switch (contentEncoding.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip()
    case 'deflate':
      return zlib.createInflate()
    case 'br':
      return zlib.createBrotliDecompress()
    case 'zstd':
      return zstd.createZstdDecompress?.()
    default:
      return undefined
  }
}
