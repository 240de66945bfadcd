/**
 * Sends a cache hit (spec §4.3 steps 9–10): unlike a plugin response it goes through the
 * `response` hooks, the body filters and the encoder, as the upstream response it replaces would.
 * The request body is drained or the connection closed first (hostile-catalogue I2).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { RequestContext } from '../core/context.ts'
import type { HttpResponse } from '../core/http-response.ts'
import { runResponse } from '../plugins/chains.ts'
import type { ResponseHead } from '../plugins/types.ts'
import type { LocationRuntime, ServerRuntime } from '../runtime/snapshot.ts'
import { noResponseBody, pumpInto } from './body-writer.ts'
import { writeResponseHead } from './response-head.ts'
import { sendError, settleRequestBody } from './send.ts'

export interface HitJob {
  readonly ctx: RequestContext
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly server: ServerRuntime
  readonly location: LocationRuntime
  readonly errorTemplate: string
}

function sendHead(job: HitJob, head: ResponseHead, response: HttpResponse): void {
  const { ctx, res, server, location } = job
  const writer = writeResponseHead(ctx, res, server, location, head, null, null)
  if (writer === undefined) return
  const stream = response.stream
  if (stream === undefined || noResponseBody(ctx.method, head.status)) {
    if (stream === undefined) writer.write(response.body)
    writer.end()
    return
  }
  pumpInto(stream(), writer, res)
}

/** Sends `response` (a hit) through the location's response hooks and body stages. */
export function sendViaResponseHooks(job: HitJob, response: HttpResponse): void {
  const { ctx, req, res, location } = job
  settleRequestBody(req, res)
  // A hit's headers are a fresh object made for this request alone (cache/hit.ts): no copy.
  const headers: OutgoingHttpHeaders = response.headers
  const length = response.stream === undefined ? response.body.length : response.length
  // A 304 describes the stored body without sending it: no Content-Length of the empty one.
  const bodiless = response.status === 304 || response.status === 204
  if (length !== undefined && !bodiless) headers['content-length'] = length
  else delete headers['content-length']
  const head: ResponseHead = { status: response.status, headers }
  const chain = location.chains.response
  const pending = chain !== null ? runResponse(chain, ctx, head) : undefined
  if (pending instanceof Promise) {
    pending.then(
      () => sendHead(job, head, response),
      (err: unknown) => sendError(req, res, ctx, job.errorTemplate, err),
    )
    return
  }
  sendHead(job, head, response)
}
