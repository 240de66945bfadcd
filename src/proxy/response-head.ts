/**
 * The last step before a response head goes out, shared by proxied responses and cache hits:
 * collect the downstream body filters and the encoder, fix the framing headers, add the
 * headers plugins queued and Server-Timing, write the head, and open the body writer.
 */
import type { ServerResponse } from 'node:http'
import type { RequestContext } from '../core/context.ts'
import { collectBodyFilters, pickEncoder } from '../plugins/chains.ts'
import type { BodyObserver, BodyStage, ResponseHead } from '../plugins/types.ts'
import type { LocationRuntime, ServerRuntime } from '../runtime/snapshot.ts'
import { BodyWriter, joinStages, observe } from './body-writer.ts'
import { holdResponseWrites } from './hold-writes.ts'
import { serverTimingHeader } from './server-timing.ts'

/**
 * Writes `head` and returns the writer for its body; undefined when the client is already
 * gone. `upstreamStages` change the body (so Content-Length goes); `observers` only watch it.
 */
export function writeResponseHead(
  ctx: RequestContext,
  res: ServerResponse,
  server: ServerRuntime,
  location: LocationRuntime,
  head: ResponseHead,
  upstreamStages: readonly BodyStage[] | null,
  observers: readonly BodyObserver[] | null,
): BodyWriter | undefined {
  const chains = location.chains
  const downstream =
    chains.body !== null ? collectBodyFilters(chains.body, ctx, head, 'response') : null
  const encoder = pickEncoder(chains.encode, ctx, head)
  if (upstreamStages !== null || downstream !== null || encoder !== undefined) {
    delete head.headers['content-length']
  }
  if (ctx.responseHeaders !== undefined) {
    for (const [name, value] of ctx.responseHeaders) head.headers[name] ??= value
  }
  if (server.serverTiming) head.headers['server-timing'] = serverTimingHeader(ctx)
  ctx.status = head.status
  if (res.destroyed) {
    encoder?.destroy()
    for (const stage of [...(upstreamStages ?? []), ...(downstream ?? [])]) {
      if (typeof stage !== 'function') stage.destroy()
    }
    return undefined
  }
  ctx.sentHeaders = head.headers
  holdResponseWrites(res)
  res.writeHead(head.status, head.headers)
  const stages = joinStages(upstreamStages, observers?.map(observe), downstream)
  return new BodyWriter(ctx, res, stages, encoder)
}
