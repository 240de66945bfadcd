/**
 * Owns the `node:http` listeners of every server address. `sync()` opens the addresses a new
 * snapshot adds before closing the ones it drops, so a changed `addr` never leaves a gap;
 * `shutdown()` stops accepting, lets in-flight requests finish, then closes what remains.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { logger } from '../core/logger.ts'
import { traffic } from '../core/process-stats.ts'
import type { Runtime } from '../runtime/runtime.ts'
import type { ServerRuntime, Snapshot } from '../runtime/snapshot.ts'
import { createClientErrorHandler, createConnectHandler } from './client-error.ts'
import { inOrder, onSocketTimeout } from './connection-guard.ts'
import { createHandler } from './handler.ts'
import { parseListenAddress } from './listen-address.ts'
import { createListenerServer, listenerKind, type ListenerServer } from './listener-server.ts'
import type { RequestObserver } from './observer.ts'
import { createUpgradeHandler } from './upgrade.ts'
import { onResponseClose } from './response-close.ts'

const log = logger.child({ module: 'server' })

/**
 * How often Node checks header timeouts (its default of 30 s is far too coarse): a fifth of the
 * header timeout, between 100 ms and 1 s, so slowloris connections are cut close to the limit.
 * Fixed when the listener opens.
 */
function checkingIntervalMs(runtime: ServerRuntime): number {
  return Math.min(1_000, Math.max(100, Math.floor(runtime.limits.headerReadTimeoutMs / 5)))
}

interface Listener {
  /** Mutable: an address can move to another server on reload without closing the socket. */
  serverName: string
  readonly addr: string
  readonly server: Server
  /** TLS, h2 and h2c around `server` (listener-server.ts). */
  readonly front: ListenerServer
  /** The address actually bound (port 0 resolved). */
  bound: string
}

function applyLimits(server: Server, runtime: ServerRuntime): void {
  const limits = runtime.limits
  server.headersTimeout = limits.headerReadTimeoutMs
  server.requestTimeout = 0 // long uploads and downloads are bounded by idle timeouts instead
  server.keepAliveTimeout = limits.keepAliveTimeoutMs
  // The socket idle timer: connection-guard.ts decides what an idle socket means.
  server.timeout = limits.writeIdleTimeoutMs
  // Node drops headers past maxHeadersCount silently; one extra lets the handler see the excess.
  server.maxHeadersCount = limits.maxHeaderCount + 1
  server.maxConnections = limits.maxConnections > 0 ? limits.maxConnections : Infinity
}

/** Keeps `traffic.connections` (stats, metrics) in step with the open client sockets. */
function countConnection(socket: Socket): void {
  traffic.connections++
  socket.once('close', () => traffic.connections--)
}

/**
 * Listeners are keyed by their configured address, so an address that moves between servers
 * keeps its socket. Port 0 ("any free port") is a distinct socket for every server using it.
 */
function listenerKey(addr: string, serverName: string): string {
  return addr.endsWith(':0') ? `${serverName}@${addr}` : addr
}

export class Listeners {
  readonly #runtime: Runtime
  readonly #observer: RequestObserver
  readonly #listeners = new Map<string, Listener>()
  readonly #tunnels = new Set<Socket>()
  #inflight = 0
  #draining = false
  #idle: (() => void) | undefined

  constructor(runtime: Runtime, observer: RequestObserver) {
    this.#runtime = runtime
    this.#observer = observer
  }

  /** The bound addresses per server name, e.g. for tests and `--addr 127.0.0.1:0`. */
  addresses(): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const l of this.#listeners.values()) {
      out.set(l.serverName, [...(out.get(l.serverName) ?? []), l.bound])
    }
    return out
  }

  /** Opens added addresses, re-labels moved ones, then closes dropped ones. */
  async sync(snapshot: Snapshot): Promise<void> {
    const wanted = new Map<string, { addr: string; server: ServerRuntime }>()
    for (const server of snapshot.servers.values()) {
      for (const addr of server.addrs) wanted.set(listenerKey(addr, server.name), { addr, server })
    }
    for (const [key, { addr, server }] of wanted) {
      const existing = this.#listeners.get(key)
      if (existing !== undefined && existing.front.kind !== listenerKind(server)) {
        // TLS switched on or off, or h2 toggled: another server must own the socket.
        this.#listeners.delete(key)
        existing.server.close()
        existing.server.closeIdleConnections()
        existing.front.drainSessions()
        await this.#open(key, addr, server)
      } else if (existing !== undefined) {
        existing.serverName = server.name
        applyLimits(existing.server, server)
        existing.front.update(server, snapshot.tls)
      } else await this.#open(key, addr, server)
    }
    for (const [key, listener] of this.#listeners) {
      if (wanted.has(key)) continue
      this.#listeners.delete(key)
      listener.server.close()
      listener.server.closeIdleConnections()
      listener.front.drainSessions()
      log.info('stopped listening', { server: listener.serverName, addr: listener.bound })
    }
  }

  async #open(key: string, addr: string, runtime: ServerRuntime): Promise<void> {
    const { host, port } = parseListenAddress(addr, `servers.${runtime.name}.addr`)
    const front = createListenerServer(
      runtime,
      {
        maxHeaderSize: runtime.limits.maxHeaderSize,
        connectionsCheckingInterval: checkingIntervalMs(runtime),
        keepAlive: true,
      },
      () => this.#runtime.current.tls,
    )
    const server = front.server
    const listener: Listener = { serverName: runtime.name, addr, server, front, bound: addr }
    applyLimits(server, runtime)
    const handlers = new Map<string, ReturnType<typeof createHandler>>()
    const handlerNow = (): ReturnType<typeof createHandler> => {
      let handler = handlers.get(listener.serverName)
      if (handler === undefined) {
        handler = createHandler(this.#runtime, listener.serverName, this.#observer)
        handlers.set(listener.serverName, handler)
      }
      return handler
    }
    // One function per listener, not a closure per request.
    const serve = (req: IncomingMessage, res: ServerResponse): void => {
      this.#track(res)
      handlerNow()(req, res)
    }
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      // HTTP/2 streams are independent: no per-connection queue (nor socket pausing).
      if (req.httpVersionMajor === 2) serve(req, res)
      // Pipelined requests of one connection are answered one at a time.
      else inOrder(req, res, serve)
    }
    server.on('request', onRequest)
    front.onH2Request(onRequest)
    // With this listener Node no longer sends `100 Continue` itself: the proxy sends it only
    // when it is about to read the body (request-body.ts), so a refused upload never starts.
    server.on('checkContinue', onRequest)
    const errors = {
      errorTemplate: () => this.#runtime.current.errorTemplate,
      maxUrlLength: () =>
        this.#runtime.current.servers.get(listener.serverName)?.limits.maxUrlLength ??
        runtime.limits.maxUrlLength,
    }
    server.on('clientError', createClientErrorHandler(errors))
    server.on('connect', createConnectHandler(errors))
    server.on('timeout', onSocketTimeout)
    server.on('connection', countConnection)
    server.on(
      'upgrade',
      createUpgradeHandler(this.#runtime, () => listener.serverName, this.#tunnels),
    )
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host, port, backlog: 4096 }, () => {
        server.off('error', reject)
        resolve()
      })
    })
    server.on('error', (err) => log.error('listener error', { addr, err }))
    const info = server.address() as AddressInfo
    listener.bound =
      info.family === 'IPv6' ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`
    this.#listeners.set(key, listener)
    log.info('listening', { server: runtime.name, addr: listener.bound })
  }

  #track(res: ServerResponse): void {
    this.#inflight++
    traffic.accepted++
    traffic.processing++
    if (this.#draining) res.shouldKeepAlive = false
    onResponseClose(res, this.#untrack)
  }

  /** The end of a tracked response (one function for every request). */
  readonly #untrack = (): void => {
    this.#inflight--
    traffic.processing--
    if (this.#inflight === 0) this.#idle?.()
  }

  /**
   * Stops accepting, waits up to `graceMs` for in-flight requests, then closes everything.
   * With `idleWindowMs` (a cluster worker draining), idle keep-alive connections are not cut at
   * once: every later response says `Connection: close`, so busy clients leave by themselves,
   * and only connections still open after the window are closed. Cutting an idle connection
   * races with a client that reuses it at that moment (its request fails); the window makes
   * that race rare enough for a rolling restart under load to fail no request.
   */
  async shutdown(graceMs: number, timeoutMs: number, idleWindowMs = 0): Promise<void> {
    this.#draining = true
    for (const l of this.#listeners.values()) l.front.drainSessions()
    const gentle = idleWindowMs > 0
    const closed = [...this.#listeners.values()].map(
      (l) => new Promise<void>((resolve) => stopAccepting(l.server, gentle, () => resolve())),
    )
    if (gentle) await this.#connectionsGone(idleWindowMs)
    for (const l of this.#listeners.values()) l.server.closeIdleConnections()
    if (this.#inflight > 0) {
      log.info('waiting for in-flight requests', { inflight: this.#inflight, graceMs })
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs)
        this.#idle = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
    for (const l of this.#listeners.values()) {
      l.server.closeAllConnections()
      l.front.destroySessions()
    }
    // closeAllConnections() leaves upgraded sockets alone, and close() waits for them.
    for (const socket of this.#tunnels) socket.destroy()
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ])
    this.#listeners.clear()
  }

  /** Resolves once no client connection is open, or after `windowMs`. */
  async #connectionsGone(windowMs: number): Promise<void> {
    const deadline = Date.now() + windowMs
    const servers = [...this.#listeners.values()].map((l) => l.server)
    const open = (server: Server): Promise<number> =>
      new Promise((resolve) => server.getConnections((err, n) => resolve(err ? 0 : n)))
    while (Date.now() < deadline) {
      const counts = await Promise.all(servers.map(open))
      if (counts.every((n) => n === 0)) return
      await delay(DRAIN_POLL_MS)
    }
  }
}

/** How often a gentle drain checks whether the last client connection has gone. */
const DRAIN_POLL_MS = 20

/**
 * Stops accepting connections. `keepIdle` skips http.Server#close's closing of idle keep-alive
 * connections (Node >= 19 does that), by calling the net.Server method it wraps.
 */
function stopAccepting(server: Server, keepIdle: boolean, done: () => void): void {
  if (keepIdle) NetServer.prototype.close.call(server, () => done())
  else server.close(() => done())
}
