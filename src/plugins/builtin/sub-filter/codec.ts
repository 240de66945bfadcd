/**
 * Whole-body decoding and re-encoding for `sub_filter`: a compressed upstream body is decoded,
 * edited and encoded again with the same coding, so the headers already sent stay true. Decoding
 * is bounded (a small body that inflates enormously is left alone).
 */
import * as zlib from 'node:zlib'

type Codec = {
  readonly decode: (data: Buffer, maxOutputLength: number) => Buffer
  readonly encode: (data: Buffer) => Buffer
}

const CODECS: Readonly<Record<string, Codec>> = {
  gzip: {
    decode: (d, max) => zlib.gunzipSync(d, { maxOutputLength: max }),
    encode: (d) => zlib.gzipSync(d, { level: 6 }),
  },
  deflate: {
    decode: (d, max) => zlib.inflateSync(d, { maxOutputLength: max }),
    encode: (d) => zlib.deflateSync(d, { level: 6 }),
  },
  br: {
    decode: (d, max) => zlib.brotliDecompressSync(d, { maxOutputLength: max }),
    encode: (d) =>
      zlib.brotliCompressSync(d, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } }),
  },
}

/** The codec of a `Content-Encoding` value ('' = identity); undefined when unsupported. */
export function codecFor(encoding: string): Codec | null | undefined {
  if (encoding === '') return null
  return CODECS[encoding === 'x-gzip' ? 'gzip' : encoding]
}
