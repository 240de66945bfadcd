/**
 * The spans of one request as plain data: a SERVER span continuing the client's trace and a
 * CLIENT span per upstream attempt. Recording is a few field writes; the finished request is
 * handed whole to its server's batch (batcher.ts), which encodes it later, off the request.
 */
import type { RequestContext, RequestTrace } from '../core/context.ts'
import { newSpanId, newTraceId, sampledByRatio } from './ids.ts'
import { extractParent, injectContext } from './propagation.ts'

/** The spans of one request; `finish()` is called once when the response closes. */
export interface ActiveTrace extends RequestTrace {
  finish(ctx: RequestContext): void
}

/** Where finished, sampled requests go. */
export interface SpanSink {
  add(spans: RequestSpans): void
}

/** What a server's requests share. */
export interface TraceSettings {
  readonly sampleRatio: number
  readonly jaeger: boolean
  readonly sink: SpanSink
}

/** One attempt towards a backend. Times are `performance.now()` milliseconds. */
export class ClientSpan {
  readonly spanId: string
  readonly name: string
  readonly addr: string
  readonly start: number
  end = 0
  status: number | undefined = undefined
  reused: boolean | undefined = undefined
  connectTime: number | undefined = undefined
  processingTime: number | undefined = undefined
  responseTime: number | undefined = undefined
  /** Why the attempt failed; undefined when it did not. */
  error: string | undefined = undefined

  constructor(spanId: string, name: string, addr: string) {
    this.spanId = spanId
    this.name = name
    this.addr = addr
    this.start = performance.now()
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The SERVER span of a request and its CLIENT spans. */
export class RequestSpans implements ActiveTrace {
  readonly traceId: string
  readonly spanId: string
  /** The client's span ('' when the request started the trace). */
  readonly parentSpanId: string
  readonly traceState: string
  readonly sampled: boolean
  readonly name: string
  readonly start: number
  end = 0
  readonly method: string
  readonly url: string
  readonly host: string
  clientIp = ''
  status = 0
  bodySize = 0
  location = ''
  readonly clients: ClientSpan[] = []
  readonly #settings: TraceSettings
  /** The request while it runs: attempts read the upstream's figures from it. */
  #ctx: RequestContext | undefined
  #current: ClientSpan | undefined = undefined

  constructor(settings: TraceSettings, ctx: RequestContext) {
    this.#settings = settings
    this.#ctx = ctx
    const parent = extractParent(ctx.headers, settings.jaeger)
    if (parent === undefined) {
      this.traceId = newTraceId()
      this.parentSpanId = ''
      this.traceState = ''
      this.sampled = sampledByRatio(this.traceId, settings.sampleRatio)
    } else {
      this.traceId = parent.traceId
      this.parentSpanId = parent.spanId
      this.traceState = parent.traceState
      // Pingap samples everything; with a ratio set, the client's decision is kept.
      this.sampled = settings.sampleRatio >= 1 || parent.sampled
    }
    this.spanId = newSpanId()
    this.name = ctx.path
    this.start = ctx.startTime
    this.method = ctx.method
    this.url = ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`
    this.host = ctx.host
  }

  upstreamStart(upstream: string, address: string, headers: Record<string, string | string[]>) {
    this.upstreamEnd('superseded by a retry')
    const span = new ClientSpan(newSpanId(), `upstream.${upstream}`, address)
    this.#current = span
    const { jaeger } = this.#settings
    injectContext(headers, this.traceId, span.spanId, this.sampled, this.traceState, jaeger)
  }

  upstreamEnd(error?: unknown): void {
    const span = this.#current
    if (span === undefined) return
    this.#current = undefined
    const ctx = this.#ctx
    if (!this.sampled || ctx === undefined) return
    span.end = performance.now()
    const t = ctx.upstreamTimings
    span.status = ctx.upstreamStatus
    span.reused = ctx.upstreamReused
    span.connectTime = t.connect
    span.processingTime = t.processing
    span.responseTime = t.response
    if (error !== undefined) span.error = errorText(error)
    this.clients.push(span)
  }

  /** Copies the final state of the request and queues the spans (`ctx` is not kept). */
  finish(ctx: RequestContext): void {
    this.upstreamEnd(ctx.status === 499 ? 'client closed' : undefined)
    this.#ctx = undefined
    if (!this.sampled) return
    this.end = performance.now()
    this.clientIp = ctx.clientIp
    this.status = ctx.status
    this.bodySize = ctx.responseSize
    this.location = ctx.location
    this.#settings.sink.add(this)
  }
}
