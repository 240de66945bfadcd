/**
 * Runs one request through a RequestSpans (src/tracing/spans.ts) and returns what it queued:
 * `attempts` are upstream attempts, each ending with its error (null: none), or left open with
 * 'open' (the request's end closes it).
 */
import type { RequestContext } from '../../src/core/context.ts'
import { RequestSpans, type TraceSettings } from '../../src/tracing/spans.ts'
import { fakeContext } from './fake-context.ts'

/**
 * A request continuing a client's trace (parent `cdcd…` in trace `abab…`, trace state `v=1`)
 * to `/api/x?a=1`, answered 201 by a reused upstream connection after 1.23456789 ms.
 */
export function tracedContext(): RequestContext {
  const ctx = fakeContext({
    path: '/api/x',
    query: 'a=1',
    headers: { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`, tracestate: 'v=1' },
  })
  ctx.upstreamStatus = 201
  ctx.upstreamReused = true
  ctx.upstreamTimings.processing = 1.23456789
  return ctx
}

export function recordRequest(ctx: RequestContext, attempts: readonly unknown[]): RequestSpans[] {
  const out: RequestSpans[] = []
  const settings: TraceSettings = {
    sampleRatio: 1,
    jaeger: false,
    sink: { add: (s) => out.push(s) },
  }
  const spans = new RequestSpans(settings, ctx)
  for (const error of attempts) {
    spans.upstreamStart('app', '10.0.0.1:80', {})
    if (error !== 'open') spans.upstreamEnd(error ?? undefined)
  }
  spans.finish(ctx)
  return out
}
