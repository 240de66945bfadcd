/**
 * The server behind one listen address, by protocol: plain HTTP/1.1; plain with prior-knowledge
 * h2c (the first bytes are sniffed); TLS with HTTP/1.1; TLS with `h2` chosen by ALPN. The socket
 * is always owned by a node:http or node:https server, so every HTTP/1 limit, timeout and
 * shutdown path works the same for all four; HTTP/2 connections are handed to a companion
 * node:http2 server whose compatibility-API requests go to the same request listener.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http'
import {
  createServer as createH2Server,
  type Http2Server,
  type Http2Session,
  type ServerHttp2Stream,
  type Settings,
} from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { Socket } from 'node:net'
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from 'node:tls'
import { logger } from '../core/logger.ts'
import { nativeParserBinding } from '../upstream/h1/native-parser.ts'
import { Http1Server } from './http1/server.ts'
import type { ServerRuntime } from '../runtime/snapshot.ts'
import type { ServerTlsSettings, SniStore } from '../tls/index.ts'

const log = logger.child({ module: 'server' })

/** RFC 9113 §6.5.2 leaves it open; 100 is what nginx, Envoy's edge guide and browsers expect. */
export const MAX_CONCURRENT_STREAMS = 100

/** The client connection preface of HTTP/2 (RFC 9113 §3.4). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')

export interface ListenerServer {
  /** The listening server (node:https for TLS); HTTP/1 requests and upgrades come from it. */
  readonly server: Server
  /** The HTTP/2 companion, when `enabled_h2`: its `request` events are HTTP/2 requests. */
  readonly h2: Http2Server | undefined
  /** `http`, `http+h2c`, `https`, `https+h2`: another kind needs another socket. */
  readonly kind: string
  /** Applies reloadable settings: TLS versions and ciphers, the default certificate, limits. */
  update(runtime: ServerRuntime, store: SniStore): void
  /** Sends GOAWAY to every HTTP/2 session; streams in flight finish. */
  drainSessions(): void
  /** Closes every HTTP/2 session now. */
  destroySessions(): void
  /**
   * Sends HTTP/2 requests to `listener`: the compatibility API's request and response stand in
   * for node:http's (same fields the proxy reads; `httpVersionMajor` is 2).
   */
  onH2Request(listener: (req: IncomingMessage, res: ServerResponse) => void): void
}

/** The kind of listener a server needs (see ListenerServer.kind). */
export function listenerKind(runtime: ServerRuntime): string {
  const h2 = runtime.conf.enabled_h2 === true
  if (runtime.tls !== undefined) return h2 ? 'https+h2' : 'https'
  return h2 ? 'http+h2c' : 'http'
}

function h2Settings(runtime: ServerRuntime): Settings {
  return {
    maxConcurrentStreams: MAX_CONCURRENT_STREAMS,
    maxHeaderListSize: runtime.limits.maxHeaderSize,
    enablePush: false,
  }
}

function contextOptions(tls: ServerTlsSettings, store: SniStore): SecureContextOptions {
  const pair = store.defaultKeyPair
  return {
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
    // Handshakes without SNI (IP literals, old clients) get the `is_default` certificate.
    ...(pair !== undefined ? { cert: pair.cert, key: pair.key } : {}),
  }
}

/** Tracks HTTP/2 sessions: an idle session (no open stream) closes after the keep-alive time. */
class Sessions {
  readonly #open = new Set<Http2Session>()
  idleMs: number

  constructor(idleMs: number) {
    this.idleMs = idleMs
  }

  add(session: Http2Session): void {
    this.#open.add(session)
    let streams = 0
    let timer: NodeJS.Timeout | undefined
    const idle = (): void => {
      timer = setTimeout(() => {
        session.close()
        // A client that never reads never lets the GOAWAY out (hostile K3): cut it off then.
        setTimeout(() => session.destroy(), this.idleMs).unref()
      }, this.idleMs)
      timer.unref()
    }
    session.on('stream', (stream: ServerHttp2Stream) => {
      streams++
      clearTimeout(timer)
      stream.once('close', () => {
        if (--streams === 0 && !session.closed) idle()
      })
    })
    session.on('error', (err) => log.debug('http2 session error', { err }))
    session.once('close', () => {
      clearTimeout(timer)
      this.#open.delete(session)
    })
    idle()
  }

  drain(): void {
    for (const session of this.#open) if (!session.closed) session.close()
  }

  destroy(): void {
    for (const session of this.#open) session.destroy()
  }
}

function createCompanion(runtime: ServerRuntime, sessions: Sessions): Http2Server {
  const h2 = createH2Server({
    settings: h2Settings(runtime),
    // Past this many header fields nghttp2 refuses the stream; below it the proxy answers 431.
    maxHeaderListPairs: runtime.limits.maxHeaderCount + 8,
  })
  h2.on('session', (session: Http2Session) => sessions.add(session))
  return h2
}

/**
 * Replaces the server's `event` listeners (Node's own HTTP/1 connection handler) with `route`,
 * which decides per socket whether HTTP/1 or the HTTP/2 companion takes it.
 */
function interceptConnections(
  server: Server,
  event: 'connection' | 'secureConnection',
  route: (socket: Socket, http1: (socket: Socket) => void) => void,
): void {
  const original = server.listeners(event) as Array<(socket: Socket) => void>
  server.removeAllListeners(event)
  const http1 = (socket: Socket): void => {
    for (const listener of original) listener.call(server, socket)
  }
  server.on(event, (socket: Socket) => route(socket, http1))
}

/**
 * Reads just enough of a plain connection to tell the HTTP/2 preface from HTTP/1, puts the
 * bytes back and hands the socket over. Nothing is parsed twice.
 */
function sniff(
  socket: Socket,
  timeoutMs: number,
  http1: (socket: Socket) => void,
  h2: Http2Server,
): void {
  let seen: Buffer = Buffer.alloc(0)
  const timer = setTimeout(() => socket.destroy(), timeoutMs)
  const done = (isH2: boolean): void => {
    clearTimeout(timer)
    socket.off('data', onData)
    socket.off('close', onClose)
    socket.pause()
    socket.unshift(seen)
    // The HTTP/2 session reads the socket's handle itself (and takes the unshifted bytes first);
    // the HTTP/1 parser reads through the stream, which must flow again.
    if (isH2) h2.emit('connection', socket)
    else {
      http1(socket)
      socket.resume()
    }
  }
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk])
    const n = Math.min(seen.length, PREFACE.length)
    if (seen.compare(PREFACE, 0, n, 0, n) !== 0) done(false)
    else if (seen.length >= PREFACE.length) done(true)
  }
  const onClose = (): void => clearTimeout(timer)
  socket.on('data', onData)
  socket.once('close', onClose)
}

let warnedFallback = false

/** This Node's HTTP parser binding has another shape: slower node:http serves (said once). */
function warnFallbackOnce(): void {
  if (warnedFallback) return
  warnedFallback = true
  log.warn('native HTTP parser not available: plain listeners use node:http (slower)')
}

/**
 * The server of a plain-text listener: pingap-ts's own HTTP/1 server (http1/server.ts), or
 * node:http's when the native parser is missing or `PINGAP_HTTP1_SERVER=node` asks for it. Both
 * have the fields and events listeners.ts uses, so the rest of the proxy runs on either.
 */
function createPlainServer(options: ServerOptions): Server {
  const parser = nativeParserBinding
  if (parser === undefined || process.env['PINGAP_HTTP1_SERVER'] === 'node') {
    if (parser === undefined) warnFallbackOnce()
    return createServer(options)
  }
  const server = new Http1Server(parser, {
    maxHeaderSize: options.maxHeaderSize ?? 16 * 1024,
    connectionsCheckingInterval: options.connectionsCheckingInterval ?? 30_000,
    keepAlive: options.keepAlive ?? false,
  })
  return server as unknown as Server
}

/** Creates the server for `runtime`'s kind; `store` is read on every TLS handshake. */
export function createListenerServer(
  runtime: ServerRuntime,
  options: ServerOptions,
  store: () => SniStore,
): ListenerServer {
  const kind = listenerKind(runtime)
  const sessions = new Sessions(runtime.limits.keepAliveTimeoutMs)
  const h2 = runtime.conf.enabled_h2 === true ? createCompanion(runtime, sessions) : undefined
  const tls = runtime.tls
  let server: Server
  let contextKey = ''
  if (tls === undefined) {
    server = createPlainServer(options)
    if (h2 !== undefined) {
      const timeoutMs = runtime.limits.headerReadTimeoutMs
      interceptConnections(server, 'connection', (socket, http1) =>
        sniff(socket, timeoutMs, http1, h2),
      )
    }
  } else {
    const initial = store()
    contextKey = `${tls.key}|${initial.defaultKeyPair?.cert ?? ''}`
    const https = createHttpsServer({
      ...options,
      ...contextOptions(tls, initial),
      SNICallback: (servername, callback) => store().select(servername, callback),
      ALPNProtocols: h2 !== undefined ? ['h2', 'http/1.1'] : ['http/1.1'],
      handshakeTimeout: runtime.limits.headerReadTimeoutMs,
    })
    https.on('tlsClientError', (err) => log.debug('TLS handshake failed', { err }))
    server = https
    if (h2 !== undefined) {
      interceptConnections(server, 'secureConnection', (socket, http1) => {
        if ((socket as TLSSocket).alpnProtocol === 'h2') h2.emit('connection', socket)
        else http1(socket)
      })
    }
  }
  return {
    server,
    h2,
    kind,
    update(next, current) {
      sessions.idleMs = next.limits.keepAliveTimeoutMs
      h2?.updateSettings(h2Settings(next))
      if (next.tls === undefined) return
      const key = `${next.tls.key}|${current.defaultKeyPair?.cert ?? ''}`
      if (key === contextKey) return
      contextKey = key
      const secure = server as unknown as TlsServer
      // Keeping the ticket keys keeps session resumption working across the swap.
      secure.setSecureContext({
        ...contextOptions(next.tls, current),
        ticketKeys: secure.getTicketKeys(),
      })
    },
    drainSessions: () => sessions.drain(),
    destroySessions: () => sessions.destroy(),
    onH2Request(listener) {
      h2?.on('request', listener)
    },
  }
}
