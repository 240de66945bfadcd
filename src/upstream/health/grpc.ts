/**
 * The gRPC probe (spec §3.4, `grpc://host?service=<name>&tls`): one unary call of the gRPC Health
 * Checking Protocol, `grpc.health.v1.Health/Check`, over HTTP/2 (h2c, or TLS without certificate
 * checks when `tls` is set). Healthy iff the answer is SERVING. The two messages are one string
 * and one enum field, so they are encoded by hand rather than through a protobuf library.
 */
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2'
import { formatAddress } from '../backend.ts'
import type { ClosableChecker } from './http.ts'
import type { HealthCheckConf } from './parse.ts'

const PATH = '/grpc.health.v1.Health/Check'
/** `HealthCheckResponse.ServingStatus.SERVING`. */
const SERVING = 1
const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']

function varint(value: number): number[] {
  const out: number[] = []
  let v = value
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
  return out
}

/** A length-prefixed gRPC message holding `HealthCheckRequest { string service = 1; }`. */
export function encodeCheckRequest(service: string): Buffer {
  const name = Buffer.from(service)
  const message =
    name.length === 0
      ? Buffer.alloc(0)
      : Buffer.concat([Buffer.from([0x0a, ...varint(name.length)]), name])
  const frame = Buffer.alloc(5 + message.length)
  frame.writeUInt32BE(message.length, 1)
  message.copy(frame, 5)
  return frame
}

/** Reads `HealthCheckResponse { ServingStatus status = 1; }` from a gRPC response body. */
export function decodeCheckResponse(body: Buffer): number {
  if (body.length < 5) throw new Error('empty gRPC response')
  if (body[0] !== 0) throw new Error('compressed gRPC responses are not supported')
  const length = body.readUInt32BE(1)
  const message = body.subarray(5, 5 + length)
  let i = 0
  while (i < message.length) {
    const tag = message[i++] as number
    let value = 0
    let shift = 0
    let byte: number
    do {
      byte = message[i++] ?? 0
      value |= (byte & 0x7f) << shift
      shift += 7
    } while (byte & 0x80 && i < message.length)
    if (tag === 0x08) return value
    // Only varint fields are expected; anything else ends the scan.
    if ((tag & 7) !== 0) break
  }
  return 0 // proto3 default: UNKNOWN
}

function openSession(conf: HealthCheckConf, host: string, port: number): ClientHttp2Session {
  const origin = `${conf.tls ? 'https' : 'http'}://${formatAddress(host, port)}`
  const servername = new URL(`http://${conf.host}`).hostname
  return connect(origin, {
    ...(conf.tls ? { rejectUnauthorized: false, servername } : {}),
  })
}

function call(
  session: ClientHttp2Session,
  conf: HealthCheckConf,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = session.request(
      {
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: PATH,
        ...(conf.host !== '' ? { [constants.HTTP2_HEADER_AUTHORITY]: conf.host } : {}),
        'content-type': 'application/grpc',
        te: 'trailers',
      },
      { signal },
    )
    const timer = setTimeout(
      () => stream.destroy(new Error(`no answer within ${conf.readTimeoutMs}ms`)),
      conf.readTimeoutMs,
    )
    const chunks: Buffer[] = []
    let grpcStatus: string | undefined
    stream.on('response', (headers) => {
      const status = Number(headers[constants.HTTP2_HEADER_STATUS])
      if (status !== 200) stream.destroy(new Error(`HTTP status ${status}`))
      const inline = headers['grpc-status']
      if (inline !== undefined) grpcStatus = String(inline)
    })
    stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      const status = trailers['grpc-status']
      if (status !== undefined) grpcStatus = String(status)
    })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.once('error', (err: Error) => {
      clearTimeout(timer)
      reject(err)
    })
    stream.once('end', () => {
      clearTimeout(timer)
      try {
        if (grpcStatus !== '0') throw new Error(`grpc-status ${grpcStatus ?? 'missing'}`)
        const status = decodeCheckResponse(Buffer.concat(chunks))
        if (status !== SERVING) throw new Error(`${STATUS_NAMES[status] ?? status}`)
        resolve()
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)))
      }
    })
    stream.end(encodeCheckRequest(conf.service))
  })
}

function connected(session: ClientHttp2Session, timeoutMs: number): Promise<void> {
  if (session.connecting === false) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      session.destroy()
      reject(new Error(`connect timed out after ${timeoutMs}ms`))
    }, timeoutMs)
    session.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
    session.once('error', (err: Error) => {
      clearTimeout(timer)
      reject(err)
    })
  })
}

/** A gRPC health checker for a parsed `grpc://` health check. */
export function grpcChecker(conf: HealthCheckConf): ClosableChecker {
  // With `reuse`, one HTTP/2 session per backend address stays open between checks.
  const kept = new Map<string, ClientHttp2Session>()
  return {
    kind: 'grpc',
    async check(backend, signal) {
      const address = formatAddress(backend.host, backend.port)
      let session = conf.reuse ? kept.get(address) : undefined
      if (session === undefined || session.closed || session.destroyed) {
        session = openSession(conf, backend.host, backend.port)
        session.on('error', () => undefined)
        if (conf.reuse) kept.set(address, session)
      }
      try {
        await connected(session, conf.connectTimeoutMs)
        await call(session, conf, signal)
      } catch (err) {
        if (conf.reuse) kept.delete(address)
        session.destroy()
        throw err
      } finally {
        if (!conf.reuse) session.close()
      }
    },
    close() {
      for (const session of kept.values()) session.destroy()
      kept.clear()
      return Promise.resolve()
    },
  }
}
