/**
 * Two streams as one Transform (decode, then encode), with back-pressure end to end: a body
 * that inflates a thousandfold must not pile up in memory while the client reads slowly.
 */
import { Transform, type TransformCallback } from 'node:stream'

/** `first` piped into `second`, seen from outside as a single Transform. */
export class ChainedTransform extends Transform {
  readonly #first: Transform
  readonly #second: Transform

  constructor(first: Transform, second: Transform) {
    super()
    this.#first = first
    this.#second = second
    first.pipe(second)
    const fail = (err: Error): void => {
      this.destroy(err)
    }
    first.on('error', fail)
    second.on('error', fail)
    second.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) second.pause()
    })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.#first.write(chunk)) done()
    else this.#first.once('drain', () => done())
  }

  override _flush(done: TransformCallback): void {
    this.#second.once('end', () => done())
    this.#first.end()
  }

  override _read(size: number): void {
    this.#second.resume()
    super._read(size)
  }

  override _destroy(err: Error | null, done: (error?: Error | null) => void): void {
    this.#first.destroy()
    this.#second.destroy()
    done(err)
  }
}
