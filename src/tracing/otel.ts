/**
 * Tracing for the servers that set `otlp_exporter`. The tracer (tracer.ts) is loaded with
 * `import()` the first time a server asks for it, and the OpenTelemetry gRPC exporter only for
 * a gRPC endpoint, so a config without `otlp_exporter` loads nothing and pays only a Map size
 * check per request.
 */
import type { RequestContext } from '../core/context.ts'
import { parseOtlpExporter, type OtlpOptions } from './exporter-options.ts'
import type * as TracerModule from './tracer.ts'
import type { ActiveTrace, ServerTracer } from './tracer.ts'

/** A server as tracing sees it. */
export interface TracedServer {
  readonly name: string
  /** The server's `otlp_exporter` value. */
  readonly otlpExporter: string | undefined
}

interface Entry {
  readonly spec: string
  readonly tracer: ServerTracer
}

type Tracer = typeof TracerModule

/** Validates every server's `otlp_exporter`; throws ConfigError naming the key. */
export function checkTracing(servers: readonly TracedServer[]): Map<string, OtlpOptions> {
  const out = new Map<string, OtlpOptions>()
  for (const s of servers) {
    const options = parseOtlpExporter(s.otlpExporter, `servers.${s.name}.otlp_exporter`)
    if (options !== undefined) out.set(s.name, options)
  }
  return out
}

export class Tracing {
  #tracers: ReadonlyMap<string, Entry> = new Map()
  #module: Promise<Tracer> | undefined

  /** True once the tracer module has been loaded (tests and the status page). */
  get loaded(): boolean {
    return this.#module !== undefined
  }

  /**
   * Creates tracers for servers that gained or changed `otlp_exporter` and shuts down the
   * others (flushing their spans). Throws ConfigError, changing nothing, for a bad value.
   */
  async sync(servers: readonly TracedServer[]): Promise<void> {
    const wanted = checkTracing(servers)
    const next = new Map<string, Entry>()
    const retired: ServerTracer[] = []
    for (const [name, options] of wanted) {
      const spec = JSON.stringify(options)
      const existing = this.#tracers.get(name)
      if (existing?.spec === spec) {
        next.set(name, existing)
        continue
      }
      const module = await this.#load()
      next.set(name, { spec, tracer: await module.createServerTracer(name, options) })
      if (existing !== undefined) retired.push(existing.tracer)
    }
    for (const [name, entry] of this.#tracers) if (!wanted.has(name)) retired.push(entry.tracer)
    this.#tracers = next
    await Promise.allSettled(retired.map((t) => t.shutdown()))
  }

  #load(): Promise<Tracer> {
    this.#module ??= import('./tracer.ts')
    return this.#module
  }

  /**
   * Starts the trace of a request on `server` (undefined when that server does not trace):
   * sets `ctx.trace` and queues the X-Trace-Id / X-Span-Id response headers.
   */
  start(server: string, ctx: RequestContext): ActiveTrace | undefined {
    if (this.#tracers.size === 0) return undefined
    const entry = this.#tracers.get(server)
    if (entry === undefined) return undefined
    const active = entry.tracer.start(ctx)
    ctx.trace = active
    const headers = (ctx.responseHeaders ??= [])
    headers.push(['x-trace-id', active.traceId], ['x-span-id', active.spanId])
    return active
  }

  /** Exports the queued spans of every server and stops. */
  async shutdown(): Promise<void> {
    const all = [...this.#tracers.values()]
    this.#tracers = new Map()
    await Promise.allSettled(all.map((e) => e.tracer.shutdown()))
  }
}
