/**
 * WebSocket upgrades: routed and passed through the request plugins exactly like HTTP
 * requests, then tunnelled by http-proxy-3 (always with a keep-alive agent), which switches to
 * piping bytes only after the upstream answers 101 and relays any other answer as is.
 */
import { Agent, type IncomingMessage, STATUS_CODES } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import type { ProxyServer } from 'http-proxy-3'
import { PingapError } from '../core/errors.ts'
import type { HttpResponse } from '../core/http-response.ts'
import { logger } from '../core/logger.ts'
import type { Runtime } from '../runtime/runtime.ts'
import { resolveUpstream, routeRequest, runRequestPlugins } from './handler.ts'
import { renderErrorPage, toPingapError } from './send.ts'
import { buildUpstreamHeaders } from './upstream-headers.ts'

const log = logger.child({ module: 'upgrade' })

let tunnelProxy: Promise<ProxyServer> | undefined

/**
 * http-proxy-3 (and its dependencies) cost ~12 MB of memory: it is loaded on the first
 * WebSocket, not at start-up. One proxy server serves every listener.
 */
function loadTunnelProxy(): Promise<ProxyServer> {
  tunnelProxy ??= import('http-proxy-3').then(({ createProxyServer }) => {
    const proxy = createProxyServer({ ws: true, xfwd: false, changeOrigin: false })
    proxy.on('error', (err, _req, socket) => {
      log.warn('tunnel failed', { err })
      if (socket !== undefined && 'destroy' in socket) (socket as Duplex).destroy()
    })
    return proxy
  })
  return tunnelProxy
}

function writeRaw(socket: Duplex, response: HttpResponse): void {
  if (socket.destroyed) return
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`]
  const headers = {
    ...response.headers,
    'content-length': response.body.length,
    connection: 'close',
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(v)}`)
  }
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), response.body]))
}

function errorResponse(template: string, error: unknown): HttpResponse {
  const err = toPingapError(error)
  const page = renderErrorPage(template, err)
  return {
    status: err.status,
    headers: {
      'content-type': page.contentType,
      'cache-control': 'private, no-store',
      'x-pingap-etype': err.etype,
    },
    body: page.body,
  }
}

/** The `upgrade` listener of one listening socket. */
export function createUpgradeHandler(
  runtime: Runtime,
  serverName: () => string,
  tunnels: Set<Socket>,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const agent = new Agent({ keepAlive: true })
  const tlsAgent = new HttpsAgent({ keepAlive: true })

  return (req, socket, head) => {
    const snapshot = runtime.current
    const tcp = socket as Socket
    tunnels.add(tcp)
    socket.once('close', () => tunnels.delete(tcp))
    socket.on('error', () => socket.destroy())
    const fail = (err: unknown): void =>
      writeRaw(socket, errorResponse(snapshot.errorTemplate, err))
    try {
      if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
        throw new PingapError('PGT_ERR_BAD_REQUEST', ['only WebSocket upgrades are supported'])
      }
      // RFC 9110 §7.8: Upgrade means nothing in HTTP/1.0 (hostile J7).
      if (req.httpVersionMinor === 0) {
        throw new PingapError('PGT_ERR_BAD_REQUEST', ['Upgrade in an HTTP/1.0 request'])
      }
      // A handshake carries no body: bytes after it would be read as frames (hostile J7).
      const length = req.headers['content-length']
      if (
        (length !== undefined && length !== '0') ||
        req.headers['transfer-encoding'] !== undefined
      ) {
        throw new PingapError('PGT_ERR_BAD_REQUEST', ['a WebSocket handshake has no body'])
      }
      const { ctx, location } = routeRequest(snapshot, serverName(), req)
      if (location === undefined)
        throw new PingapError('PGT_ERR_ROUTE_NOT_FOUND', [ctx.host, ctx.path])
      Promise.resolve()
        .then(() => runRequestPlugins(ctx, location))
        .then(async (response) => {
          if (response !== undefined) {
            writeRaw(socket, response)
            return
          }
          const upstream = resolveUpstream(snapshot, ctx, location)
          const backend = upstream.transparent ? upstream.backendFor(ctx.host) : upstream.pick(ctx)
          if (backend === undefined) {
            throw new PingapError('PGT_ERR_UPSTREAM_UNAVAILABLE', [location.name])
          }
          ctx.upstreamAddr = backend.address
          req.url = ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`
          req.headers = buildUpstreamHeaders(ctx, location.headerRules, true)
          const tls = upstream.options.tls
          const proxy = await loadTunnelProxy()
          proxy.ws(req, socket, head, {
            target: `${tls ? 'https' : 'http'}://${backend.address}`,
            agent: tls ? tlsAgent : agent,
            secure: upstream.options.verifyCert,
          })
        })
        .catch(fail)
    } catch (err) {
      fail(err)
    }
  }
}
