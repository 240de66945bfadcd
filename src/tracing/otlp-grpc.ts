/**
 * OTLP/gRPC (Pingap's `otlp_exporter` form): the OpenTelemetry gRPC exporter, fed per batch
 * with span views built from the recorded data. It serialises protobuf directly from those
 * views, so the request path never creates an SDK object; the package (with @grpc/grpc-js) is
 * imported only when a gRPC endpoint is configured.
 */
import type { Attributes, AttributeValue, HrTime, SpanContext } from '@opentelemetry/api'
import type { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc'
import type { OtlpOptions } from './exporter-options.ts'
import type { BatchExporter } from './batcher.ts'
import type { ClientSpan, RequestSpans } from './spans.ts'

/** OpenTelemetry API's SpanKind and SpanStatusCode values (the API enum is not imported). */
const API_KIND_SERVER = 1
const API_KIND_CLIENT = 2
const API_STATUS_UNSET = 0
const API_STATUS_ERROR = 2
const SAMPLED = 1

/** `performance.now()` milliseconds as OpenTelemetry's [unix seconds, nanoseconds]. */
export function hrTime(perfMs: number): HrTime {
  const ms = performance.timeOrigin + perfMs
  const seconds = Math.floor(ms / 1000)
  const nanos = Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))
  return [seconds, nanos]
}

/** A length of time in milliseconds as [seconds, nanoseconds]. */
function hrDuration(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000)
  return [seconds, Math.min(999_999_999, Math.round((ms - seconds * 1000) * 1e6))]
}

function limited(
  entries: ReadonlyArray<readonly [string, AttributeValue | undefined]>,
  max: number,
): { attributes: Attributes; dropped: number } {
  const attributes: Attributes = {}
  let kept = 0
  let dropped = 0
  for (const [key, value] of entries) {
    if (value === undefined) continue
    if (kept < max) {
      attributes[key] = value
      kept++
    } else dropped++
  }
  return { attributes, dropped }
}

function context(trace: RequestSpans, spanId: string, isRemote: boolean): SpanContext {
  const out: SpanContext = { traceId: trace.traceId, spanId, traceFlags: SAMPLED, isRemote }
  const serialized = trace.traceState
  // The serializer only calls `serialize()` on it.
  if (serialized !== '')
    out.traceState = { serialize: () => serialized } as SpanContext['traceState'] & object
  return out
}

type Exporter = OTLPTraceExporter
type SpanView = Parameters<Exporter['export']>[0][number]

/** Builds the SDK span views of one batch. */
function views(
  batch: readonly RequestSpans[],
  shared: Pick<SpanView, 'resource' | 'instrumentationScope'>,
  max: number,
): SpanView[] {
  const out: SpanView[] = []
  const base = { links: [], events: [], ended: true, droppedEventsCount: 0, droppedLinksCount: 0 }
  for (const trace of batch) {
    const server = limited(
      [
        ['http.method', trace.method],
        ['http.url', trace.url],
        ['http.host', trace.host],
        ['http.client_ip', trace.clientIp],
        ['http.status_code', trace.status],
        ['http.response.body.size', trace.bodySize],
        ['http.location', trace.location],
      ],
      max,
    )
    const own = context(trace, trace.spanId, false)
    out.push({
      ...base,
      ...shared,
      name: trace.name,
      kind: API_KIND_SERVER,
      spanContext: () => own,
      ...(trace.parentSpanId === ''
        ? {}
        : { parentSpanContext: context(trace, trace.parentSpanId, true) }),
      startTime: hrTime(trace.start),
      endTime: hrTime(trace.end),
      duration: hrDuration(trace.end - trace.start),
      status: { code: trace.status >= 500 ? API_STATUS_ERROR : API_STATUS_UNSET },
      attributes: server.attributes,
      droppedAttributesCount: server.dropped,
    })
    for (const span of trace.clients) out.push(clientView(trace, span, own, base, shared, max))
  }
  return out
}

function clientView(
  trace: RequestSpans,
  span: ClientSpan,
  parent: SpanContext,
  base: Pick<SpanView, 'links' | 'events' | 'ended' | 'droppedEventsCount' | 'droppedLinksCount'>,
  shared: Pick<SpanView, 'resource' | 'instrumentationScope'>,
  max: number,
): SpanView {
  const { attributes, dropped } = limited(
    [
      ['upstream.addr', span.addr],
      ['http.status_code', span.status],
      ['upstream.reused', span.reused],
      ['upstream.connect_time', span.connectTime],
      ['upstream.processing_time', span.processingTime],
      ['upstream.response_time', span.responseTime],
    ],
    max,
  )
  const own = context(trace, span.spanId, false)
  return {
    ...base,
    ...shared,
    name: span.name,
    kind: API_KIND_CLIENT,
    spanContext: () => own,
    parentSpanContext: parent,
    startTime: hrTime(span.start),
    endTime: hrTime(span.end),
    duration: hrDuration(span.end - span.start),
    status:
      span.error === undefined
        ? { code: API_STATUS_UNSET }
        : { code: API_STATUS_ERROR, message: span.error },
    attributes,
    droppedAttributesCount: dropped,
  }
}

/** The exporter of one server's spans to an OTLP/gRPC endpoint. */
export async function createGrpcExporter(
  options: OtlpOptions,
  serviceName: string,
): Promise<BatchExporter> {
  const [{ OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-grpc'),
    import('@opentelemetry/resources'),
  ])
  const exporter = new OTLPTraceExporter({
    url: options.url,
    timeoutMillis: options.timeoutMs,
    // The exporter types this as its CompressionAlgorithm enum, whose values are these strings.
    compression: options.compression as never,
  })
  const shared = {
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    instrumentationScope: { name: 'pingap-ts' },
  }
  return {
    export: (batch) =>
      new Promise<void>((resolve, reject) => {
        exporter.export(views(batch, shared, options.maxAttributes), (result) => {
          // ExportResultCode.SUCCESS is 0 (the core package's enum is not imported for it).
          if ((result.code as number) === 0) resolve()
          else reject(result.error ?? new Error('OTLP/gRPC export failed'))
        })
      }),
    shutdown: () => exporter.shutdown(),
  }
}
