/**
 * The request body on its way upstream, guarded against hostile clients
 * (reliability/hostile-catalogue.md A23, D2, F8):
 * - `Expect: 100-continue` is answered only now, when the body is really wanted, so a request
 *   refused earlier (413, 401, 404…) never gets a 100 and its body is never sent;
 * - a client that sends no body bytes for `idleMs` (while the proxy is ready to read) gets 408
 *   and the upstream request is aborted;
 * - a body cut short by the client (FIN or reset before Content-Length is reached) aborts the
 *   upstream request instead of leaving it waiting for bytes that will never come;
 * - the upstream is contacted only once HOLD_BYTES of body (or all of it) arrived, as nginx
 *   buffers `client_body_buffer_size`: a client dripping its body byte by byte holds a client
 *   connection, not one of the upstream pool's (slowhttptest -B, bench/slowloris.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext } from '../core/context.ts'
import { PingapError } from '../core/errors.ts'
import { BodyMeter } from './body-meter.ts'

/** True for an HTTP/1.1 request whose client waits for `100 Continue` before the body. */
export function expectsContinue(req: IncomingMessage): boolean {
  const expect = req.headers.expect
  return req.httpVersionMinor === 1 && expect !== undefined && /100-continue/i.test(expect)
}

/** Body bytes that must arrive before the upstream is contacted (nginx's 16k default). */
export const HOLD_BYTES = 16 * 1024

/** A guarded body: the stream to hand upstream, and when to start sending it. */
export interface GuardedBody {
  readonly stream: BodyMeter
  /** Resolves once HOLD_BYTES (or the whole body) arrived; rejects with 408, 413 or 499. */
  readonly ready: Promise<void>
}

/** Options of one guarded body. */
export interface BodyGuard {
  readonly ctx: RequestContext
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** `client_max_body_size` in bytes; 0 = unlimited. */
  readonly maxBytes: number
  /** Idle limit between body chunks; 0 = none. */
  readonly idleMs: number
  /** Aborts the upstream request with `err` (408 or 499). */
  readonly abort: (err: PingapError) => void
}

/** True when the client gave up on this request before its body ended. */
function alreadyAborted(req: IncomingMessage): boolean {
  // `aborted` is deprecated but set by both HTTP/1 and HTTP/2 requests; `destroyed` alone would
  // also be true for a body that simply ended.
  return (req as { aborted?: boolean }).aborted === true || (req.destroyed && !req.readableEnded)
}

/** A gRPC call (not gRPC-Web, whose request bodies are always complete). */
function isGrpcCall(req: IncomingMessage): boolean {
  const type = req.headers['content-type']
  return (
    type !== undefined &&
    type.startsWith('application/grpc') &&
    !type.startsWith('application/grpc-web')
  )
}

/**
 * Pipes the request body through the size meter and arms the idle and early-close guards.
 * Throws (499) when the client already gave up: an empty stream would otherwise reach the
 * upstream as a complete request.
 */
export function guardedBody(guard: BodyGuard): GuardedBody {
  const { req, res, idleMs, abort } = guard
  // A declared length the body must reach (HTTP/2 ends an aborted stream's body early).
  const declared = Number(req.headers['content-length'] ?? 0)
  if (alreadyAborted(req) || (req.readableEnded && declared > 0)) {
    throw new PingapError('PGT_ERR_CLIENT_CLOSED')
  }
  const meter = new BodyMeter(guard.ctx, guard.maxBytes)
  let holding = true
  let release: () => void = () => undefined
  let refuse: (err: unknown) => void = () => undefined
  const ready = new Promise<void>((resolve, reject) => {
    release = resolve
    refuse = reject
  })
  const start = (): void => {
    if (!holding) return
    holding = false
    release()
  }
  // While holding, a failure refuses the request; afterwards undici has the stream and the
  // dispatch handler reports it.
  const fail = (err: PingapError): void => {
    if (holding) {
      holding = false
      refuse(err)
    } else abort(err)
    meter.destroy(err)
  }
  // undici reports a failed body through the dispatch handler; once it has let go of the
  // stream, an 'error' nobody listens to would otherwise end the process.
  meter.on('error', (err) => {
    if (holding) fail(err instanceof PingapError ? err : new PingapError('PGT_ERR_CLIENT_CLOSED'))
  })
  if (expectsContinue(req) && !res.headersSent) res.writeContinue()
  req.pipe(meter)
  // gRPC calls stream small messages on a request that stays open (client and bidirectional
  // streaming): holding them back would stall the call, so the upstream is contacted at once.
  if (isGrpcCall(req)) start()
  let timer: NodeJS.Timeout | undefined
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
  let received = 0
  const cutShort = (): void => fail(new PingapError('PGT_ERR_CLIENT_CLOSED'))
  if (idleMs > 0) {
    const fire = (): void => {
      // Paused by back-pressure from the upstream: not the client's fault, wait again.
      if (req.readableFlowing === false && !req.readableEnded) {
        timer?.refresh()
        return
      }
      stop()
      fail(new PingapError('PGT_ERR_REQUEST_TIMEOUT'))
    }
    timer = setTimeout(fire, idleMs)
  }
  req.on('data', (chunk: Buffer) => {
    received += chunk.length
    timer?.refresh()
    if (received >= HOLD_BYTES) start()
  })
  // 'end' rather than `req.complete`: HTTP/2's compatibility request counts an aborted stream
  // as complete.
  let ended = false
  req.once('end', () => {
    ended = true
    stop()
    if (received < declared) cutShort()
    else start()
  })
  res.once('close', stop)
  req.once('close', () => {
    stop()
    if (!ended) cutShort()
  })
  return { stream: meter, ready }
}
