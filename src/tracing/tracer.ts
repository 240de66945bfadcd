/**
 * The tracer of one server (service name `pingap:<server>`): per request it records plain
 * span data (spans.ts); batches are encoded and exported off the request path (batcher.ts)
 * over OTLP/HTTP, protobuf or JSON (otlp-http.ts), or OTLP/gRPC (otlp-grpc.ts). Loaded with
 * `import()` by otel.ts the first time a server sets `otlp_exporter`.
 */
import type { RequestContext } from '../core/context.ts'
import { Batcher, type BatchExporter } from './batcher.ts'
import type { OtlpOptions } from './exporter-options.ts'
import { createHttpExporter } from './otlp-http.ts'
import { RequestSpans, type ActiveTrace, type TraceSettings } from './spans.ts'

export type { ActiveTrace } from './spans.ts'

/** Starts request traces for one server. */
export interface ServerTracer {
  start(ctx: RequestContext): ActiveTrace
  /** Exports what is queued, then stops. */
  shutdown(): Promise<void>
}

async function createExporter(options: OtlpOptions, service: string): Promise<BatchExporter> {
  if (options.protocol === 'http') return createHttpExporter(options, service)
  // @grpc/grpc-js is large: loaded only when a gRPC endpoint is configured.
  const { createGrpcExporter } = await import('./otlp-grpc.ts')
  return createGrpcExporter(options, service)
}

/** Creates the tracer of `server` exporting as `options` says. */
export async function createServerTracer(
  server: string,
  options: OtlpOptions,
): Promise<ServerTracer> {
  const batcher = new Batcher(await createExporter(options, `pingap:${server}`), options)
  const settings: TraceSettings = {
    sampleRatio: options.sampleRatio,
    jaeger: options.jaeger,
    sink: batcher,
  }
  return {
    start: (ctx) => new RequestSpans(settings, ctx),
    shutdown: () => batcher.shutdown(),
  }
}
