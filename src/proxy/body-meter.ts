/**
 * Counts request body bytes on their way upstream and fails the stream once
 * `client_max_body_size` is passed, so chunked uploads are limited too (spec §2.8). It sits
 * in a pipe, so back-pressure from the upstream reaches the client socket.
 */
import { Transform, type TransformCallback } from 'node:stream'
import type { RequestContext } from '../core/context.ts'
import { PingapError } from '../core/errors.ts'

export class BodyMeter extends Transform {
  readonly #ctx: RequestContext
  readonly #limit: number

  constructor(ctx: RequestContext, limit: number) {
    super()
    this.#ctx = ctx
    this.#limit = limit
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#ctx.payloadSize += chunk.length
    if (this.#limit > 0 && this.#ctx.payloadSize > this.#limit) {
      done(new PingapError('PGT_ERR_BODY_TOO_LARGE', [this.#limit]))
      return
    }
    done(null, chunk)
  }
}
