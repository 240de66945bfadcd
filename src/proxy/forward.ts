/**
 * Forwards one request to a backend through its undici Pool and streams the response back
 * with back-pressure both ways: the request body is handed to undici as a stream, and the
 * response is paused whenever the client socket's buffer is full. Connect failures of
 * body-less requests are retried on another backend (`max_retries`, `max_retry_window`).
 */
import { endAtTurnEnd } from '../core/write-batch.ts'
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http'
import type { Dispatcher } from 'undici'
import type { RequestContext } from '../core/context.ts'
import { PingapError } from '../core/errors.ts'
import {
  collectBodyFilters,
  collectCacheStore,
  runResponse,
  runUpstreamResponse,
} from '../plugins/chains.ts'
import type { BodyObserver, BodyStage, ResponseHead } from '../plugins/types.ts'
import type { LocationRuntime, ServerRuntime } from '../runtime/snapshot.ts'
import type { Backend, Upstream } from '../upstream/types.ts'
import {
  GRPC_WEB_MODULE,
  grpcTypeOf,
  takeGrpcStatus,
  toGrpcRequest,
  toGrpcWebResponse,
  trailerFrame,
} from './grpc-web.ts'
import { guardedBody } from './request-body.ts'
import type { BodyWriter } from './body-writer.ts'
import { writeResponseHead } from './response-head.ts'
import { isClientGone, sendError } from './send.ts'
import { buildUpstreamHeaders, RESPONSE_HOP_BY_HOP, stripNominated } from './upstream-headers.ts'
import { isConnectFailure, isStaleConnection, upstreamError } from './upstream-errors.ts'
import { onResponseClose } from './response-close.ts'

export interface ForwardJob {
  readonly ctx: RequestContext
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly server: ServerRuntime
  readonly location: LocationRuntime
  readonly upstream: Upstream
  readonly errorTemplate: string
}

function hasRequestBody(req: IncomingMessage): boolean {
  // HTTP/2 has no framing headers: a body follows unless the HEADERS frame ended the stream.
  if (req.httpVersionMajor === 2) {
    return (
      (req as unknown as { stream: { endAfterHeaders: boolean } }).stream.endAfterHeaders !== true
    )
  }
  if (req.headers['transfer-encoding'] !== undefined) return true
  const length = req.headers['content-length']
  return length !== undefined && length !== '0'
}

type Trailers = Record<string, string | string[] | undefined>

/**
 * The upstream's trailers, or undefined when it sent none. undici 7 hands HTTP/2 trailers to
 * new-style handlers as `{}` (it parses Node's trailer object as a raw header list); the object
 * itself is on the controller's `rawTrailers`.
 */
function upstreamTrailers(controller: unknown, parsed: Trailers): Trailers | undefined {
  for (const _ in parsed) return parsed
  const raw = (controller as { rawTrailers?: unknown }).rawTrailers
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined
  let out: Trailers | undefined
  for (const [name, value] of Object.entries(raw as Trailers)) {
    if (name.startsWith(':')) continue
    out ??= {}
    out[name] = value
  }
  return out
}

/** Relays one upstream response to the client; one instance per attempt. */
class ResponseRelay implements Dispatcher.DispatchHandler {
  readonly #job: ForwardJob
  readonly #backend: Backend
  readonly #onRetry: (err: Error, backend: Backend) => boolean
  /** The client's gRPC-Web content type when the gRPC-Web bridge applies. */
  readonly #grpcWeb: string | undefined
  /** The upstream's trailers (gRPC status), relayed to HTTP/2 and gRPC-Web clients. */
  #trailers: Trailers | undefined
  /** A trailers-only gRPC status, moved from the head to the trailers. */
  #statusTrailers: Trailers | undefined
  readonly #sentAt = performance.now()
  #controller: Dispatcher.DispatchController | undefined
  /** Upstream body stages (they change the body) and cache observers (they only watch it). */
  #stages: BodyStage[] | null = null
  #observers: BodyObserver[] | null = null
  #writer: BodyWriter | undefined
  /** Chunks that arrive while async response hooks run. */
  #held: Buffer[] | null = null
  #ended = false
  #headWritten = false
  /** The upstream sent a status line (so a retry could repeat a processed request). */
  #answered = false
  #waitingForDrain = false

  constructor(
    job: ForwardJob,
    backend: Backend,
    onRetry: (err: Error, backend: Backend) => boolean,
    grpcWeb?: string,
  ) {
    this.#job = job
    this.#backend = backend
    this.#onRetry = onRetry
    this.#grpcWeb = grpcWeb
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    const { res } = this.#job
    if (isClientGone(res)) controller.abort(new PingapError('PGT_ERR_CLIENT_CLOSED'))
  }

  abort(reason: Error): void {
    this.#controller?.abort(reason)
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    upstreamHeaders: IncomingHttpHeaders,
  ): void {
    const { ctx, location } = this.#job
    this.#answered = true
    // 1xx (103 Early Hints, an unsolicited 100) are dropped; the final response follows.
    if (statusCode >= 100 && statusCode < 200) return
    if (statusCode < 100 || statusCode > 599) {
      controller.abort(new PingapError('PGT_ERR_UPSTREAM_INVALID', [this.#backend.address]))
      return
    }
    ctx.upstreamStatus = statusCode
    this.#job.upstream.report?.(this.#backend, statusCode)
    ctx.upstreamTimings.processing = performance.now() - this.#sentAt
    const headers: OutgoingHttpHeaders = {}
    for (const name in upstreamHeaders) {
      if (!RESPONSE_HOP_BY_HOP.has(name)) headers[name] = upstreamHeaders[name]
    }
    stripNominated(headers, upstreamHeaders.connection)
    if (this.#grpcWeb !== undefined) toGrpcWebResponse(headers, this.#grpcWeb)
    else if (this.#job.req.httpVersionMajor === 2) this.#statusTrailers = takeGrpcStatus(headers)
    const head: ResponseHead = { status: statusCode, headers, upstreamHeaders }
    const chains = location.chains
    if (chains.upstreamResponse !== null) runUpstreamResponse(chains.upstreamResponse, ctx, head)
    if (chains.upstreamBody !== null) {
      this.#stages = collectBodyFilters(chains.upstreamBody, ctx, head, 'upstream')
    }
    this.#observers = collectCacheStore(chains.cacheStore, ctx, head)
    const pending = chains.response !== null ? runResponse(chains.response, ctx, head) : undefined
    if (pending instanceof Promise) {
      this.#held = []
      controller.pause()
      pending.then(
        () => this.#writeHead(head),
        (err: unknown) => this.#fail(err),
      )
      return
    }
    this.#writeHead(head)
  }

  #writeHead(head: ResponseHead): void {
    const { ctx, res, server, location } = this.#job
    const writer = writeResponseHead(
      ctx,
      res,
      server,
      location,
      head,
      this.#stages,
      this.#observers,
    )
    if (writer === undefined) return
    this.#writer = writer
    this.#headWritten = true
    const held = this.#held
    this.#held = null
    if (held !== null) {
      for (const chunk of held) this.#write(chunk)
      if (this.#ended) this.#finish()
      else this.#controller?.resume()
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#held !== null) {
      this.#held.push(chunk)
      return
    }
    this.#write(chunk)
  }

  #write(input: Buffer): void {
    const writer = this.#writer
    if (writer === undefined) return
    if (!writer.write(input) && !this.#waitingForDrain) {
      const controller = this.#controller
      this.#waitingForDrain = true
      controller?.pause()
      writer.onDrain(() => {
        this.#waitingForDrain = false
        controller?.resume()
      })
    }
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    this.#trailers = upstreamTrailers(controller, trailers)
    if (this.#statusTrailers !== undefined) {
      this.#trailers = { ...this.#statusTrailers, ...this.#trailers }
    }
    this.#job.ctx.upstreamTimings.response = performance.now() - this.#sentAt
    this.#job.ctx.trace?.upstreamEnd()
    this.#ended = true
    if (this.#held !== null) return
    this.#finish()
  }

  #finish(): void {
    const trailers = this.#trailers
    if (trailers !== undefined) {
      if (this.#grpcWeb !== undefined) this.#write(trailerFrame(trailers))
      else if (this.#job.req.httpVersionMajor === 2) this.#job.res.addTrailers(trailers)
    }
    if (this.#writer !== undefined) this.#writer.end()
    else endAtTurnEnd(this.#job.res)
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#job.ctx.trace?.upstreamEnd(err)
    // No response at all (connect failure, timeout, reset) counts against the backend's
    // breaker; a keep-alive race or a client that left is not the backend's fault.
    if (!this.#answered && !this.#job.res.destroyed && !isStaleConnection(err)) {
      this.#job.upstream.report?.(this.#backend, 0)
    }
    const retryable = isConnectFailure(err) || (!this.#answered && isStaleConnection(err))
    if (!this.#headWritten && retryable && this.#onRetry(err, this.#backend)) return
    this.#fail(err)
  }

  #fail(err: unknown): void {
    const { ctx, req, res, errorTemplate } = this.#job
    sendError(req, res, ctx, errorTemplate, upstreamError(err, this.#backend.address))
  }
}

/** Methods a retry may repeat (RFC 9110 §9.2.2). */
const IDEMPOTENT: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
])

/** Sends the job to `first`, retrying connect failures on other backends when allowed. */
export function forward(job: ForwardJob, first: Backend): void {
  const { ctx, req, res, location, upstream } = job
  const grpcType = location.grpcWeb ? grpcTypeOf(req.headers['content-type']) : undefined
  if (location.grpcWeb && job.server.conf.modules?.includes(GRPC_WEB_MODULE) !== true) {
    throw new PingapError('PGT_ERR_INTERNAL', ['grpc web bridge module should be added'])
  }
  // A client already gone (an HTTP/2 stream reset while plugins ran) gets no upstream request:
  // its 'close' has fired, so nothing would ever stop a paused relay.
  if (isClientGone(res)) throw new PingapError('PGT_ERR_CLIENT_CLOSED')
  let current: ResponseRelay | undefined
  const guarded = hasRequestBody(req)
    ? guardedBody({
        ctx,
        req,
        res,
        maxBytes: location.maxBodyBytes,
        idleMs: job.server.limits.bodyReadTimeoutMs,
        abort: (err) => current?.abort(err),
      })
    : undefined
  const body = guarded?.stream ?? null
  // Made on the first connect failure: most requests never retry.
  let tried: Set<Backend> | undefined
  let retries = 0
  let staleRetried = false

  const onRetry = (err: Error, failed: Backend): boolean => {
    if (!isConnectFailure(err)) {
      // Keep-alive race: the backend closed a pooled connection just as it was reused. An
      // idempotent body-less request is sent once more, on a fresh connection of that backend.
      if (body !== null || staleRetried || !IDEMPOTENT.has(ctx.method) || res.destroyed) {
        return false
      }
      staleRetried = true
      attempt(failed)
      return true
    }
    ;(tried ??= new Set()).add(failed)
    if (body !== null || retries >= location.maxRetries) return false
    const window = location.retryWindowMs
    if (window !== undefined && performance.now() - ctx.startTime > window) return false
    const next = upstream.pick(ctx, tried)
    if (next === undefined) return false
    retries++
    attempt(next)
    return true
  }

  const attempt = (backend: Backend): void => {
    ctx.upstreamAddr = backend.address
    current = new ResponseRelay(job, backend, onRetry, grpcType && req.headers['content-type'])
    const headers = buildUpstreamHeaders(ctx, location.headerRules)
    if (grpcType !== undefined) toGrpcRequest(headers, grpcType)
    // undici is not auto-instrumented: the CLIENT span's traceparent is injected here.
    ctx.trace?.upstreamStart(upstream.name, backend.address, headers)
    const options: Dispatcher.DispatchOptions = {
      path: ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`,
      method: ctx.method,
      headers,
      body,
    }
    backend.pool.dispatch(options, current)
  }

  onResponseClose(res, () => {
    if (!res.writableFinished) current?.abort(new PingapError('PGT_ERR_CLIENT_CLOSED'))
  })
  if (guarded === undefined) attempt(first)
  else {
    // The upstream is contacted once enough of the body is here (request-body.ts).
    guarded.ready.then(
      () => {
        if (!isClientGone(res)) attempt(first)
      },
      (err: unknown) => sendError(req, res, ctx, job.errorTemplate, err),
    )
  }
}
