/** Creates the RequestContext of one request (core/context.ts describes its fields). */
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import type { BlockList } from 'node:net'
import type { RequestContext, UpstreamTimings } from '../core/context.ts'
import { forwardedClientIp, peerIsTrusted } from '../runtime/client-ip.ts'

/** Per-connection facts, computed once per socket and cached on it. */
interface ConnectionInfo {
  readonly id: number
  readonly remoteAddr: string
  readonly remotePort: number
  readonly serverAddr: string
  readonly serverPort: number
  requests: number
}

const CONNECTION = Symbol('pingap.connection')
let nextConnectionId = 0

type TaggedSocket = Socket & { [CONNECTION]?: ConnectionInfo }

/** Strips the IPv4-mapped prefix so logs and ACLs see `1.2.3.4`, not `::ffff:1.2.3.4`. */
function plainIp(address: string | undefined): string {
  if (address === undefined) return ''
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

function connectionInfo(socket: TaggedSocket): ConnectionInfo {
  let info = socket[CONNECTION]
  if (info === undefined) {
    info = {
      id: ++nextConnectionId,
      remoteAddr: plainIp(socket.remoteAddress),
      remotePort: socket.remotePort ?? 0,
      serverAddr: plainIp(socket.localAddress),
      serverPort: socket.localPort ?? 0,
      requests: 0,
    }
    socket[CONNECTION] = info
  }
  return info
}

/** The peer IP of a request's connection. */
export function peerAddress(req: IncomingMessage): string {
  return connectionInfo(req.socket).remoteAddr
}

/** What the server and snapshot decide about every context they create. */
export interface ContextPolicy {
  /** Peers whose forwarding headers name the client (undefined: trust none). */
  readonly trustedProxies: BlockList | undefined
  /** Time each plugin (the server sends Server-Timing). */
  readonly timePlugins: boolean
}

function protoOf(req: IncomingMessage): string {
  if (req.httpVersionMajor === 2) return 'HTTP/2.0'
  return req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`
}

/** Builds the context of one request. */
export function newContext(
  req: IncomingMessage,
  serverName: string,
  host: string,
  path: string,
  query: string,
  policy: ContextPolicy,
): RequestContext {
  const conn = connectionInfo(req.socket)
  conn.requests++
  const upstreamTimings: UpstreamTimings = {}
  const trusted = policy.trustedProxies
  const peerTrusted = trusted !== undefined && peerIsTrusted(trusted, conn.remoteAddr)
  return {
    req,
    startTime: performance.now(),
    startedAt: Date.now(),
    connectionId: conn.id,
    connectionReused: conn.requests > 1,
    serverName,
    method: req.method ?? 'GET',
    scheme: (req.socket as TLSSocket).encrypted === true ? 'https' : 'http',
    proto: protoOf(req),
    host,
    path,
    query,
    headers: req.headers,
    remoteAddr: conn.remoteAddr,
    remotePort: conn.remotePort,
    serverAddr: conn.serverAddr,
    serverPort: conn.serverPort,
    clientIp:
      peerTrusted && trusted !== undefined
        ? forwardedClientIp(trusted, conn.remoteAddr, req.headers)
        : conn.remoteAddr,
    peerTrusted,
    location: '',
    variables: undefined,
    upstreamOverride: undefined,
    upstreamAddr: '',
    upstreamStatus: undefined,
    upstreamReused: undefined,
    upstreamTimings,
    requestId: undefined,
    pluginTimings: policy.timePlugins ? [] : undefined,
    payloadSize: 0,
    responseSize: 0,
    status: 0,
    cacheKeys: undefined,
    state: undefined,
    responseHeaders: undefined,
    sentHeaders: undefined,
    trace: undefined,
  }
}
