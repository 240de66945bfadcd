/** The `Server-Timing` header of spec §4.6 (milliseconds; `total` always last). */
import type { RequestContext } from '../core/context.ts'

function dur(ms: number): string {
  return ms.toFixed(ms < 10 ? 2 : 0)
}

/** Renders the header from the request's recorded timings. */
export function serverTimingHeader(ctx: RequestContext): string {
  const parts: string[] = []
  const { connect, processing } = ctx.upstreamTimings
  if (connect !== undefined && connect > 0) parts.push(`upstream.connect;dur=${dur(connect)}`)
  if (processing !== undefined) {
    parts.push(`upstream.processing;dur=${dur(processing)}`)
    parts.push(`upstream;dur=${dur((connect ?? 0) + processing)}`)
  }
  if (ctx.pluginTimings !== undefined && ctx.pluginTimings.length > 0) {
    let sum = 0
    for (const [name, ms] of ctx.pluginTimings) {
      parts.push(`plugin.${name};dur=${dur(ms)}`)
      sum += ms
    }
    parts.push(`plugin;dur=${dur(sum)}`)
  }
  parts.push(`total;dur=${dur(performance.now() - ctx.startTime)}`)
  return parts.join(', ')
}
