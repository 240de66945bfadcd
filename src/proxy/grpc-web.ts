/**
 * The gRPC-Web bridge (`modules = ["grpc-web"]` on the server, `grpc_web = true` on the location):
 * a browser's gRPC-Web request goes upstream as plain gRPC over HTTP/2, and the upstream's
 * trailers come back as the final, flagged frame of the gRPC-Web body (gRPC-Web protocol spec,
 * "Protocol differences vs gRPC over HTTP2"). The binary forms are bridged, as in Pingora's
 * module; `application/grpc-web-text` (base64) passes through unchanged.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import type { UpstreamHeaders } from './upstream-headers.ts'

const WEB_TYPE = /^application\/grpc-web(\+[\w.-]+)?\s*(?:;.*)?$/i

/** The server module that enables the bridge. */
export const GRPC_WEB_MODULE = 'grpc-web'

/** The gRPC content type for a binary gRPC-Web request, else undefined. */
export function grpcTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  const m = WEB_TYPE.exec(contentType)
  return m === null ? undefined : `application/grpc${m[1] ?? ''}`
}

/** Turns the upstream request into gRPC. */
export function toGrpcRequest(headers: UpstreamHeaders, grpcType: string): void {
  headers['content-type'] = grpcType
  headers['te'] = 'trailers'
}

/** Turns a gRPC response head into gRPC-Web (`webType` is what the client sent). */
export function toGrpcWebResponse(headers: OutgoingHttpHeaders, webType: string): void {
  const type = headers['content-type']
  if (typeof type === 'string' && type.startsWith('application/grpc')) {
    headers['content-type'] = webType
  }
  // The trailer frame makes the body longer than the upstream said.
  delete headers['content-length']
}

const STATUS_FIELDS = ['grpc-status', 'grpc-message', 'grpc-status-details-bin']

/**
 * A gRPC "trailers-only" answer (status in the one HEADERS frame that also ends the stream)
 * cannot be relayed as is through the compatibility API, which always ends a response with a
 * DATA frame: the status fields move from the head to the trailers, the form every gRPC client
 * reads. Returns the moved fields, or undefined when the head is not a gRPC status.
 */
export function takeGrpcStatus(
  headers: OutgoingHttpHeaders,
): Record<string, string | string[] | undefined> | undefined {
  const type = headers['content-type']
  if (headers['grpc-status'] === undefined || typeof type !== 'string') return undefined
  if (!type.startsWith('application/grpc') || type.startsWith('application/grpc-web')) {
    return undefined
  }
  const moved: Record<string, string | string[] | undefined> = {}
  for (const name of STATUS_FIELDS) {
    const value = headers[name]
    if (value === undefined) continue
    moved[name] = Array.isArray(value) ? value : String(value)
    delete headers[name]
  }
  return moved
}

/** The trailer frame: flag 0x80, a 4-byte length, then `name: value\r\n` lines. */
export function trailerFrame(
  trailers: Readonly<Record<string, string | string[] | undefined>>,
): Buffer {
  let text = ''
  for (const [name, value] of Object.entries(trailers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value])
      text += `${name.toLowerCase()}: ${v}\r\n`
  }
  const body = Buffer.from(text)
  const frame = Buffer.allocUnsafe(5 + body.length)
  frame[0] = 0x80
  frame.writeUInt32BE(body.length, 1)
  body.copy(frame, 5)
  return frame
}
