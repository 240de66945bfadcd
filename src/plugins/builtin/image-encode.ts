/**
 * Re-encoding of `image_optim` with sharp (libvips, prebuilt binaries from npm). sharp is
 * imported on the first image, so a process that never converts one does not pay for it.
 */
import { Transform, type TransformCallback } from 'node:stream'
import type Sharp from 'sharp'

/** Formats the plugin writes. */
export type ImageFormat = 'webp' | 'avif' | 'png' | 'jpeg'

/** Encoder settings (already validated). */
export interface EncodeOptions {
  readonly pngQuality: number
  readonly jpegQuality: number
  readonly webpQuality: number
  readonly avifQuality: number
  /** sharp's AVIF effort, 0 (fastest) to 9. */
  readonly avifEffort: number
}

/** Bodies larger than this are passed through unchanged rather than held in memory. */
export const MAX_IMAGE_BYTES = 32 * 1024 * 1024

let loading: Promise<typeof Sharp> | undefined

function loadSharp(): Promise<typeof Sharp> {
  loading ??= import('sharp').then((mod) => {
    // libvips' operation cache keeps decoded images around; a proxy converts each image once.
    mod.default.cache(false)
    return mod.default
  })
  return loading
}

/** Encodes `input` as `format`; rejects when it does not decode. */
export async function encodeImage(
  input: Buffer,
  format: ImageFormat,
  options: EncodeOptions,
): Promise<Buffer> {
  const sharp = await loadSharp()
  const image = sharp(input, { failOn: 'error', limitInputPixels: 100_000_000 })
  switch (format) {
    case 'webp':
      return image.webp({ quality: options.webpQuality }).toBuffer()
    case 'avif':
      return image.avif({ quality: options.avifQuality, effort: options.avifEffort }).toBuffer()
    case 'png':
      return image.png({ quality: options.pngQuality, palette: true }).toBuffer()
    case 'jpeg':
      return image.jpeg({ quality: options.jpegQuality, mozjpeg: true }).toBuffer()
  }
}

/**
 * Collects the body, then sends it re-encoded. The original bytes go out instead when the image
 * does not decode, when it is too large to hold, or when a same-format re-encode is not smaller.
 */
export class ImageTranscoder extends Transform {
  readonly #format: ImageFormat
  readonly #options: EncodeOptions
  readonly #sameFormat: boolean
  #chunks: Buffer[] = []
  #size = 0
  #passThrough = false

  constructor(format: ImageFormat, options: EncodeOptions, sameFormat: boolean) {
    super()
    this.#format = format
    this.#options = options
    this.#sameFormat = sameFormat
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.#passThrough) return done(null, chunk)
    this.#chunks.push(chunk)
    this.#size += chunk.length
    if (this.#size > MAX_IMAGE_BYTES) {
      this.#passThrough = true
      for (const held of this.#chunks) this.push(held)
      this.#chunks = []
    }
    done()
  }

  override _flush(done: TransformCallback): void {
    if (this.#passThrough) return done()
    const original = Buffer.concat(this.#chunks)
    this.#chunks = []
    encodeImage(original, this.#format, this.#options).then(
      (encoded) => {
        const keep = this.#sameFormat && encoded.length >= original.length
        done(null, keep ? original : encoded)
      },
      () => done(null, original),
    )
  }
}
