/**
 * The OpenTelemetry side of tracing, loaded with `import()` only when a server sets
 * `otlp_exporter` (otel.ts). One tracer provider per server (service name
 * `pingap:<server>`), never registered globally: spans are parented explicitly, so no context
 * manager or async hook runs. Per request: a SERVER span (W3C trace context extracted from
 * the client) and a CLIENT span per upstream attempt, whose context is injected into the
 * upstream request, since undici is not auto-instrumented.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api'
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  setGlobalErrorHandler,
} from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import type { RequestContext, RequestTrace } from '../core/context.ts'
import { logger } from '../core/logger.ts'
import type { OtlpOptions } from './exporter-options.ts'

const log = logger.child({ module: 'tracing' })

/** Export failures are logged at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000
let lastErrorLog = 0
setGlobalErrorHandler((err) => {
  const now = Date.now()
  if (now - lastErrorLog < ERROR_LOG_INTERVAL_MS) return
  lastErrorLog = now
  log.warn('trace export failed', { err })
})

/** The spans of one request; `finish()` is called once when the response closes. */
export interface ActiveTrace extends RequestTrace {
  finish(ctx: RequestContext): void
}

/** Starts request traces for one server. */
export interface ServerTracer {
  start(ctx: RequestContext): ActiveTrace
  /** Exports what is queued, then stops. */
  shutdown(): Promise<void>
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** What a server's tracer shares between its requests. */
interface TracerParts {
  readonly tracer: Tracer
  readonly propagator: TextMapPropagator
  /** The headers the propagator reads: without any of them there is nothing to extract. */
  readonly fields: readonly string[]
}

function hasAny(headers: RequestContext['headers'], fields: readonly string[]): boolean {
  for (const field of fields) if (headers[field] !== undefined) return true
  return false
}

class RequestSpans implements ActiveTrace {
  readonly traceId: string
  readonly spanId: string
  readonly #parts: TracerParts
  readonly #ctx: RequestContext
  readonly #server: Span
  readonly #remote: Context
  #parent: Context | undefined
  #client: Span | undefined

  constructor(parts: TracerParts, ctx: RequestContext) {
    this.#parts = parts
    this.#ctx = ctx
    // Most requests carry no trace context: skip the propagators' parsing for them.
    const remote = hasAny(ctx.headers, parts.fields)
      ? parts.propagator.extract(ROOT_CONTEXT, ctx.headers, defaultTextMapGetter)
      : ROOT_CONTEXT
    const url = ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`
    this.#server = parts.tracer.startSpan(
      ctx.path,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.method': ctx.method, 'http.url': url, 'http.host': ctx.host },
      },
      remote,
    )
    this.#remote = remote
    const spanContext = this.#server.spanContext()
    this.traceId = spanContext.traceId
    this.spanId = spanContext.spanId
  }

  upstreamStart(upstream: string, address: string, headers: Record<string, string | string[]>) {
    this.upstreamEnd('superseded by a retry')
    const parent = (this.#parent ??= trace.setSpan(this.#remote, this.#server))
    const client = this.#parts.tracer.startSpan(
      `upstream.${upstream}`,
      { kind: SpanKind.CLIENT, attributes: { 'upstream.addr': address } },
      parent,
    )
    this.#client = client
    this.#parts.propagator.inject(trace.setSpan(parent, client), headers, defaultTextMapSetter)
  }

  upstreamEnd(error?: unknown): void {
    const client = this.#client
    if (client === undefined) return
    this.#client = undefined
    const ctx = this.#ctx
    const t = ctx.upstreamTimings
    const attributes: Attributes = {}
    if (ctx.upstreamStatus !== undefined) attributes['http.status_code'] = ctx.upstreamStatus
    if (ctx.upstreamReused !== undefined) attributes['upstream.reused'] = ctx.upstreamReused
    if (t.connect !== undefined) attributes['upstream.connect_time'] = t.connect
    if (t.processing !== undefined) attributes['upstream.processing_time'] = t.processing
    if (t.response !== undefined) attributes['upstream.response_time'] = t.response
    client.setAttributes(attributes)
    if (error !== undefined)
      client.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error) })
    client.end()
  }

  finish(ctx: RequestContext): void {
    this.upstreamEnd(ctx.status === 499 ? 'client closed' : undefined)
    const span = this.#server
    span.setAttributes({
      'http.client_ip': ctx.clientIp,
      'http.status_code': ctx.status,
      'http.response.body.size': ctx.responseSize,
      'http.location': ctx.location,
    })
    if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
    span.end()
  }
}

async function createExporter(options: OtlpOptions): Promise<SpanExporter> {
  const common = {
    url: options.url,
    timeoutMillis: options.timeoutMs,
    // The exporters type this as their CompressionAlgorithm enum, whose values are these strings.
    compression: options.compression as never,
  }
  if (options.protocol === 'http') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
    return new OTLPTraceExporter(common)
  }
  // @grpc/grpc-js is large: loaded only when a gRPC endpoint is configured.
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc')
  return new OTLPTraceExporter(common)
}

async function createPropagator(options: OtlpOptions): Promise<TextMapPropagator> {
  const propagators: TextMapPropagator[] = [new W3CTraceContextPropagator()]
  if (options.baggage) propagators.push(new W3CBaggagePropagator())
  if (options.jaeger) {
    const { JaegerPropagator } = await import('@opentelemetry/propagator-jaeger')
    propagators.push(new JaegerPropagator())
  }
  return propagators.length === 1
    ? (propagators[0] as TextMapPropagator)
    : new CompositePropagator({ propagators })
}

/** Creates the tracer of `server` exporting as `options` says. */
export async function createServerTracer(
  server: string,
  options: OtlpOptions,
): Promise<ServerTracer> {
  const exporter = await createExporter(options)
  const propagator = await createPropagator(options)
  const sampler =
    options.sampleRatio >= 1
      ? new AlwaysOnSampler()
      : new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio) })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': `pingap:${server}` }),
    sampler,
    spanLimits: { attributeCountLimit: options.maxAttributes, eventCountLimit: options.maxEvents },
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        maxQueueSize: options.maxQueueSize,
        maxExportBatchSize: Math.min(options.maxExportBatchSize, options.maxQueueSize),
        scheduledDelayMillis: options.scheduledDelayMs,
        exportTimeoutMillis: options.exportTimeoutMs,
      }),
    ],
  })
  const parts: TracerParts = {
    tracer: provider.getTracer('pingap-ts'),
    propagator,
    fields: propagator.fields(),
  }
  return {
    start: (ctx) => new RequestSpans(parts, ctx),
    shutdown: () => provider.shutdown(),
  }
}
