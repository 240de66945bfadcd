/**
 * Writes a response body to the client through the plugins' body stages, with back-pressure.
 * Synchronous filters alone run inline, chunk by chunk (the common, cheap case); when a stage
 * is a stream (zlib), every stage becomes part of one stream pipeline that ends in the response,
 * so the caller still sees a single `write` / `onDrain` / `end` surface.
 */
import { endAtTurnEnd } from '../core/write-batch.ts'
import type { ServerResponse } from 'node:http'
import { Transform, type Readable, type Writable } from 'node:stream'
import type { RequestContext } from '../core/context.ts'
import { logger } from '../core/logger.ts'
import { applyBodyFilters } from '../plugins/chains.ts'
import type { BodyFilter, BodyObserver, BodyStage } from '../plugins/types.ts'

const EMPTY = Buffer.alloc(0)
const log = logger.child({ module: 'proxy' })

/** Responses that carry no body whatever their headers say (RFC 9110 §6.4.1). */
export function noResponseBody(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)
}

/** A filter that hands every chunk to `observer` and passes it on unchanged. */
export function observe(observer: BodyObserver): BodyFilter {
  return (chunk, end) => {
    observer(chunk, end)
    return chunk
  }
}

/** Concatenates optional stage lists; null when all are empty. */
export function joinStages(
  ...lists: ReadonlyArray<readonly BodyStage[] | null | undefined>
): BodyStage[] | null {
  let out: BodyStage[] | null = null
  for (const list of lists) {
    if (list === null || list === undefined || list.length === 0) continue
    out = out === null ? [...list] : out.concat(list)
  }
  return out
}

/** Wraps consecutive synchronous filters as one Transform for the stream pipeline. */
function filterStream(filters: readonly BodyFilter[]): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        const out = applyBodyFilters(filters, chunk, false)
        done(null, out !== null && out.length > 0 ? out : undefined)
      } catch (err) {
        done(err as Error)
      }
    },
    flush(done) {
      try {
        const tail = applyBodyFilters(filters, EMPTY, true)
        done(null, tail !== null && tail.length > 0 ? tail : undefined)
      } catch (err) {
        done(err as Error)
      }
    },
  })
}

/** Turns stages (plus a final encoder) into the list of streams of the pipeline. */
function toStreams(
  stages: readonly BodyStage[] | null,
  encoder: Transform | undefined,
): Transform[] {
  const streams: Transform[] = []
  let group: BodyFilter[] = []
  for (const stage of stages ?? []) {
    if (typeof stage === 'function') {
      group.push(stage)
      continue
    }
    if (group.length > 0) streams.push(filterStream(group))
    group = []
    streams.push(stage)
  }
  if (group.length > 0) streams.push(filterStream(group))
  if (encoder !== undefined) streams.push(encoder)
  return streams
}

/**
 * Pipes `streams` into each other and into `res`; any failure tears the whole chain down (and
 * the response, so a cut body never looks complete), and so does the client going away. Plain
 * `pipe` rather than `stream.pipeline`, which builds an AbortError with a stack per call on
 * Node 20.
 */
function chain(streams: readonly Transform[], res: ServerResponse): void {
  const fail = (err: Error): void => {
    if (!res.destroyed) log.warn('response body stage failed', { err })
    for (const s of streams) s.destroy()
    res.destroy(err)
  }
  for (let i = 0; i < streams.length; i++) {
    const s = streams[i]!
    s.once('error', fail)
    s.pipe(streams[i + 1] ?? res)
  }
  res.once('close', () => {
    for (const s of streams) if (!s.destroyed) s.destroy()
  })
}

/** One response body on its way to the client; created after the head is written. */
export class BodyWriter {
  readonly #ctx: RequestContext
  readonly #res: ServerResponse
  /** Inline filters (direct mode); null when chunks go out as they are. */
  readonly #filters: BodyFilter[] | null = null
  /** First stream of the pipeline (stream mode). */
  readonly #input: Writable | undefined
  readonly #discard: boolean

  constructor(
    ctx: RequestContext,
    res: ServerResponse,
    stages: readonly BodyStage[] | null,
    encoder: Transform | undefined,
  ) {
    this.#ctx = ctx
    this.#res = res
    this.#discard = noResponseBody(ctx.method, ctx.status)
    const streamed =
      encoder !== undefined || (stages?.some((s) => typeof s !== 'function') ?? false)
    if (this.#discard || !streamed) {
      encoder?.destroy()
      for (const stage of stages ?? []) if (typeof stage !== 'function') stage.destroy()
      if (!this.#discard && stages !== null && stages.length > 0) {
        this.#filters = stages as BodyFilter[]
      }
      return
    }
    const streams = toStreams(stages, encoder)
    const last = streams[streams.length - 1] as Readable
    last.on('data', (chunk: Buffer) => (ctx.responseSize += chunk.length))
    this.#input = streams[0]
    chain(streams, res)
  }

  /** Writes one chunk; false means: pause the source until onDrain fires. */
  write(chunk: Buffer): boolean {
    if (this.#discard) return true
    const input = this.#input
    if (input !== undefined) return input.destroyed || input.write(chunk)
    const out = this.#filters === null ? chunk : applyBodyFilters(this.#filters, chunk, false)
    if (out === null || out.length === 0) return true
    this.#ctx.responseSize += out.length
    return this.#res.write(out)
  }

  /** Calls `resume` once the body can take more. */
  onDrain(resume: () => void): void {
    ;(this.#input ?? this.#res).once('drain', resume)
  }

  /** Ends the body (flushing filters and encoders). */
  end(): void {
    const input = this.#input
    if (input !== undefined) {
      if (!input.destroyed) input.end()
      return
    }
    const res = this.#res
    if (this.#filters !== null) {
      const tail = applyBodyFilters(this.#filters, EMPTY, true)
      if (tail !== null && tail.length > 0) {
        this.#ctx.responseSize += tail.length
        res.write(tail)
      }
    }
    // Ended with the loop turn's other writes (node:http flushes a corked socket on end()).
    endAtTurnEnd(res)
  }
}

/** Pipes a readable body into `writer`, pausing it while the client is full. */
export function pumpInto(source: Readable, writer: BodyWriter, res: ServerResponse): void {
  let waiting = false
  const resume = (): void => {
    waiting = false
    source.resume()
  }
  source.on('data', (chunk: Buffer) => {
    if (!writer.write(chunk) && !waiting) {
      waiting = true
      source.pause()
      writer.onDrain(resume)
    }
  })
  source.once('end', () => writer.end())
  source.once('error', (err) => res.destroy(err))
  res.once('close', () => source.destroy())
}
