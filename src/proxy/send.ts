/**
 * Responses pingap-ts makes itself: error pages (decisions §2: `Cache-Control: private,
 * no-store`, `X-Pingap-EType`, the `error_template`) and plugin responses (spec §4.4). Both
 * drain a small unread request body or close the connection, so no unread body bytes stay on a
 * keep-alive connection.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { RequestContext } from '../core/context.ts'
import { PingapError, isPingapError } from '../core/errors.ts'
import { escapeHtml } from '../core/html-escape.ts'
import { endAtTurnEnd } from '../core/write-batch.ts'
import { cacheControlOf, type HttpResponse } from '../core/http-response.ts'
import { VERSION } from '../core/version.ts'
import { logger } from '../core/logger.ts'

/** Bodies up to this size are read and discarded; larger ones close the connection. */
const MAX_DRAIN_BYTES = 64 * 1024

const log = logger.child({ module: 'proxy' })

function escapeJson(text: string): string {
  return JSON.stringify(text).slice(1, -1)
}

/** Renders `template` for `err`; JSON when the result starts with `{` (spec §4.4). */
export function renderErrorPage(
  template: string,
  err: PingapError,
): { body: Buffer; contentType: string } {
  const json = template.trimStart().startsWith('{')
  // Escaping is pingap-ts's addition: the content can echo the request path.
  const escape = json ? escapeJson : escapeHtml
  const text = template
    .replaceAll('{{version}}', escape(VERSION))
    .replaceAll('{{error_type}}', escape(err.etype))
    .replaceAll('{{content}}', escape(err.message))
  return {
    body: Buffer.from(text),
    contentType: json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
  }
}

/** Drains a small unread request body, or marks the connection to close after the response. */
export function settleRequestBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || req.readableEnded) return
  // HTTP/2: the body belongs to this stream alone, and Connection is not a thing; reading it
  // away gives its flow-control window back to the connection.
  if (req.httpVersionMajor === 2) {
    req.resume()
    return
  }
  const length = Number(req.headers['content-length'] ?? NaN)
  const hasBody = req.headers['transfer-encoding'] !== undefined || length > 0
  if (!hasBody) return
  // A client waiting for `100 Continue` may or may not send its body now: only a close is safe.
  const waiting = req.headers.expect !== undefined
  if (!waiting && Number.isFinite(length) && length <= MAX_DRAIN_BYTES && !req.destroyed) {
    req.resume()
    return
  }
  res.shouldKeepAlive = false
  if (!res.headersSent) res.setHeader('connection', 'close')
}

/** Statuses after which the connection closes: its framing or its client cannot be trusted. */
const CLOSE_AFTER: ReadonlySet<number> = new Set([400, 405, 408, 414, 431, 505])

/**
 * True when the client side of `res` is gone. HTTP/2's compatibility response has no
 * `destroyed`; its stream does (hostile K1: a reset stream must stop the upstream work).
 */
export function isClientGone(res: ServerResponse): boolean {
  if (res.destroyed) return true
  return (res as { stream?: { destroyed?: boolean } }).stream?.destroyed === true
}

/** Converts anything thrown in the pipeline into the PingapError the client sees. */
export function toPingapError(err: unknown): PingapError {
  if (isPingapError(err)) return err
  return new PingapError('PGT_ERR_INTERNAL', [err instanceof Error ? err.message : String(err)], {
    cause: err,
  })
}

/** Sends an error page (or ends the response if its head is already out). */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext | undefined,
  template: string,
  error: unknown,
): void {
  const err = toPingapError(error)
  if (err.status >= 500)
    log.warn('request failed', { code: err.code, error: err.message, url: req.url })
  if (ctx !== undefined) ctx.status = err.status
  if (res.headersSent || isClientGone(res)) {
    // The head is out: the only honest signal left is to cut the response short.
    res.destroy(err)
    return
  }
  const page = renderErrorPage(template, err)
  settleRequestBody(req, res)
  if (CLOSE_AFTER.has(err.status) && req.httpVersionMajor < 2) {
    res.shouldKeepAlive = false
    res.setHeader('connection', 'close')
  }
  const headers: OutgoingHttpHeaders = {
    'content-type': page.contentType,
    'content-length': page.body.length,
    'cache-control': 'private, no-store',
    'x-pingap-etype': err.etype,
  }
  if (ctx !== undefined) ctx.sentHeaders = headers
  res.writeHead(err.status, headers)
  if (ctx !== undefined) ctx.responseSize = page.body.length
  // With the loop turn's other writes, like plugin responses: a 404 flood wrote each page alone.
  endAtTurnEnd(res, req.method === 'HEAD' ? undefined : page.body)
}

/**
 * The head of a plugin response: Content-Length and Cache-Control, then its own headers (which
 * win). A response whose headers already carry both (the directory plugin builds them once per
 * file) is sent as it is: no copy, no keys added per request.
 */
function localHeaders(
  response: HttpResponse,
  length: number | undefined,
  extraHeaders: OutgoingHttpHeaders | undefined,
): OutgoingHttpHeaders {
  const own = response.headers
  const complete =
    own['cache-control'] !== undefined && (length === undefined || own['content-length'] === length)
  if (complete && extraHeaders === undefined) return own
  return {
    ...(length !== undefined ? { 'content-length': length } : undefined),
    'cache-control': cacheControlOf(response),
    ...own,
    ...extraHeaders,
  }
}

/** Sends a plugin-made response as Pingap does: Content-Length, Cache-Control, its headers. */
export function sendLocalResponse(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: RequestContext,
  response: HttpResponse,
  extraHeaders?: OutgoingHttpHeaders,
): void {
  ctx.status = response.status
  settleRequestBody(req, res)
  const stream = response.stream
  const length = stream === undefined ? response.body.length : response.length
  const headers = localHeaders(response, length, extraHeaders)
  ctx.sentHeaders = headers
  res.writeHead(response.status, headers)
  if (stream === undefined) {
    ctx.responseSize = response.body.length
    // With the loop turn's other writes (core/write-batch.ts): node:http flushes on end().
    endAtTurnEnd(res, req.method === 'HEAD' ? undefined : response.body)
    return
  }
  if (req.method === 'HEAD' || res.destroyed) {
    res.end()
    return
  }
  // A stream that fails (e.g. a file that shrank) destroys the response: a short body must
  // never look complete to the client.
  const source = stream()
  source.on('data', (chunk: Buffer) => (ctx.responseSize += chunk.length))
  // pipe, not pipeline: Node 20's pipeline builds an AbortError (with a stack) per call.
  source.once('error', (err) => {
    log.debug('local response stream ended early', { err })
    res.destroy(err)
  })
  res.once('close', () => source.destroy())
  source.pipe(res)
}
