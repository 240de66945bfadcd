/**
 * The admin HTTP server (spec §7, docs/admin.md): its own listener, never a data-plane one.
 * Order of checks for every request: `Host` (DNS rebinding), the per-IP lock-out, the mount
 * prefix, then either the UI files (public) or the API: authentication, the CSRF token for
 * cookie sessions, the body type for writes, the route.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { isIP } from 'node:net'
import type { HttpResponse } from '../core/http-response.ts'
import { logger } from '../core/logger.ts'
import type { Authenticator, Principal } from './auth.ts'
import type { AdminContext, AdminRequest } from './context.ts'
import { AdminError } from './errors.ts'
import type { UiAssets } from './assets.ts'
import { LoginFailed } from './handlers/session.ts'
import { errorResponse, isApiMediaType, mediaType, readBody, send, text } from './http.ts'
import type { FailureLimiter } from './lockout.ts'
import { findRoute } from './routes.ts'
import { sameToken } from './sessions.ts'
import type { AdminSpec } from './spec.ts'

const log = logger.child({ module: 'admin' })

/** The name the admin listener is logged under (`{"msg":"listening","server":"pingap:admin"}`). */
export const ADMIN_SERVER_NAME = 'pingap:admin'

const API_PREFIX = '/api/v1'
const SAFE_METHODS = new Set(['GET', 'HEAD'])
const UI_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
}

export interface AdminServerDeps {
  readonly spec: AdminSpec
  readonly context: AdminContext
  readonly auth: Authenticator
  readonly limiter: FailureLimiter
  readonly assets: UiAssets
}

/** What {@link AdminHandler} needs: the mount and lock-out of its spec, and the services. */
export interface AdminHandlerDeps extends Omit<AdminServerDeps, 'spec'> {
  readonly spec: Pick<AdminSpec, 'mount' | 'ipFailLimit'>
}

/** One request as the handler sees it: the stream (for the body), the target, the client. */
export interface AdminExchange {
  readonly req: IncomingMessage
  /** Path and query, e.g. `/pingap/api/v1/config?x=1`. */
  readonly url: string
  readonly ip: string
}

/** Answer of `GET /api/v1/events`: the caller turns its response into the event stream. */
export const EVENT_STREAM = Symbol('admin event stream')

/** What {@link AdminHandler.respond} answers. */
export type AdminAnswer = HttpResponse | typeof EVENT_STREAM

function hostOf(header: string | undefined): string {
  const host = (header ?? '').trim().toLowerCase()
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'))
  const colon = host.lastIndexOf(':')
  return colon < 0 ? host : host.slice(0, colon)
}

function clientIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? ''
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip
}

export class AdminServer {
  readonly #deps: AdminServerDeps
  readonly #handler: AdminHandler
  readonly #server: Server
  readonly #hosts: ReadonlySet<string>
  #address = ''

  constructor(deps: AdminServerDeps) {
    this.#deps = deps
    this.#handler = new AdminHandler(deps)
    const { spec } = deps
    this.#hosts = new Set(['localhost', spec.host.toLowerCase(), ...spec.hosts])
    this.#server = createServer({ requestTimeout: 60_000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => send(req, res, errorResponse(err)))
    })
    this.#server.keepAliveTimeout = 5_000
  }

  /** The bound `ip:port`. */
  get address(): string {
    return this.#address
  }

  /** Binds the admin address. */
  async listen(): Promise<void> {
    const { host, port } = this.#deps.spec
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    const info = this.#server.address() as AddressInfo
    this.#address =
      info.family === 'IPv6' ? `[${info.address}]:${info.port}` : `${info.address}:${info.port}`
    log.info('listening', { server: ADMIN_SERVER_NAME, addr: this.#address })
  }

  /** Stops accepting, ends event streams and closes idle connections. */
  async close(): Promise<void> {
    this.#deps.context.events.close()
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeIdleConnections()
    setTimeout(() => this.#server.closeAllConnections(), 2_000).unref()
    await closed
  }

  #hostAllowed(req: IncomingMessage): boolean {
    const host = hostOf(req.headers.host)
    return isIP(host) !== 0 || this.#hosts.has(host)
  }

  /** Handles one request (also usable by a listener that shares its address). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#hostAllowed(req)) {
      send(req, res, errorResponse(new AdminError('PGT_ERR_ADMIN_FORBIDDEN', ['host not allowed'])))
      return
    }
    const answer = await this.#handler.respond({ req, url: req.url ?? '/', ip: clientIp(req) })
    if (answer === EVENT_STREAM) this.#deps.context.events.attach(res)
    else if (answer.status === 304) res.writeHead(304, answer.headers).end()
    else send(req, res, answer)
  }
}

/**
 * The admin API and UI under a mount prefix, as responses: used by the admin server and by the
 * `admin` plugin on a proxy location. The order of checks is the server's (see the top).
 */
export class AdminHandler {
  readonly #deps: AdminHandlerDeps

  constructor(deps: AdminHandlerDeps) {
    this.#deps = deps
  }

  /** Answers one request (its body is read here for writes). */
  async respond({ req, url: target, ip }: AdminExchange): Promise<AdminAnswer> {
    try {
      return await this.#respond(req, target, ip)
    } catch (err) {
      return errorResponse(err)
    }
  }

  async #respond(req: IncomingMessage, target: string, ip: string): Promise<AdminAnswer> {
    if (this.#deps.limiter.blocked(ip)) {
      return errorResponse(
        new AdminError('PGT_ERR_ADMIN_FORBIDDEN', ['Forbidden, too many failures']),
      )
    }
    const url = new URL(target, 'http://admin')
    const mount = this.#deps.spec.mount
    if (mount !== '' && url.pathname === mount) {
      return { status: 307, headers: { location: `${mount}/${url.search}` }, body: Buffer.alloc(0) }
    }
    if (mount !== '' && !url.pathname.startsWith(`${mount}/`)) {
      return errorResponse(new AdminError('PGT_ERR_ADMIN_NOT_FOUND', [url.pathname]))
    }
    const path = url.pathname.slice(mount.length)
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) {
      return this.#api(req, path.slice(API_PREFIX.length) || '/', url.searchParams, ip)
    }
    return this.#ui(req, path)
  }

  #ui(req: IncomingMessage, path: string): HttpResponse {
    if (!SAFE_METHODS.has(req.method ?? '')) {
      return errorResponse(new AdminError('PGT_ERR_ADMIN_NOT_FOUND', [path]))
    }
    const file = this.#deps.assets.get(path)
    if (file === undefined) return text(404, 'Not Found')
    const headers: Record<string, string> = {
      ...UI_HEADERS,
      'content-type': file.type,
      'cache-control': file.cacheControl,
      etag: file.etag,
      vary: 'accept-encoding',
    }
    if (req.headers['if-none-match'] === file.etag) {
      return { status: 304, headers, body: Buffer.alloc(0) }
    }
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '') ? file.gzip : undefined
    if (gzip !== undefined) headers['content-encoding'] = 'gzip'
    return { status: 200, headers, body: gzip ?? file.body }
  }

  async #api(
    req: IncomingMessage,
    path: string,
    query: URLSearchParams,
    ip: string,
  ): Promise<AdminAnswer> {
    const method = req.method ?? 'GET'
    const { match, methods } = findRoute(method, path)
    if (match === undefined) {
      const what = methods.length > 0 ? `${method} ${path} (allowed: ${methods.join(', ')})` : path
      return errorResponse(new AdminError('PGT_ERR_ADMIN_NOT_FOUND', [what]))
    }
    const write = !SAFE_METHODS.has(method)
    const principal =
      match.route.public === true ? undefined : await this.#authorize(req, ip, write)
    if (principal === null) return errorResponse(new AdminError('PGT_ERR_ADMIN_UNAUTHORIZED'))
    if (match.route.handler === 'events') return EVENT_STREAM
    const type = mediaType(req.headers)
    const body = write ? await readBody(req) : Buffer.alloc(0)
    if (write && body.length > 0 && !isApiMediaType(type)) {
      const expected = 'application/json, application/merge-patch+json or application/toml'
      return errorResponse(new AdminError('PGT_ERR_ADMIN_MEDIA_TYPE', [type, expected]))
    }
    const requestId = req.headers['x-request-id']
    const request: AdminRequest = {
      method,
      path,
      query,
      headers: req.headers,
      body,
      params: match.params,
      principal,
      ip,
      requestId: typeof requestId === 'string' ? requestId.slice(0, 200) : randomUUID(),
    }
    try {
      return await match.route.handler(request, this.#deps.context)
    } catch (err) {
      if (err instanceof LoginFailed) this.#failed(ip, 'login')
      return errorResponse(err)
    }
  }

  /**
   * The caller, or null (401) when the credentials are missing or wrong (wrong ones count
   * towards the lock-out). A cookie session's write without the CSRF token throws 403.
   */
  async #authorize(req: IncomingMessage, ip: string, write: boolean): Promise<Principal | null> {
    const result = await this.#deps.auth.authenticate(req.headers)
    if (!result.ok) {
      if (result.attempted) this.#failed(ip, 'credentials')
      return null
    }
    const principal = result.principal
    if (write && principal.via === 'session') {
      const token = req.headers['x-csrf-token']
      if (typeof token !== 'string' || !sameToken(token, principal.session?.csrf ?? '')) {
        throw new AdminError('PGT_ERR_ADMIN_FORBIDDEN', ['missing or invalid CSRF token'])
      }
    }
    return principal
  }

  #failed(ip: string, what: string): void {
    const count = this.#deps.limiter.fail(ip)
    log.warn('admin authentication failed', { ip, what, failures: count })
    if (what !== 'login') {
      this.#deps.context.audit.append({
        actor: ip,
        actorKind: 'system',
        ip,
        action: 'auth.failed',
        result: 'rejected',
        detail: 'invalid credentials',
      })
    }
    if (count === this.#deps.spec.ipFailLimit) {
      this.#deps.context.audit.append({
        actor: ip,
        actorKind: 'system',
        ip,
        action: 'auth.locked',
        result: 'rejected',
        detail: `${count} failures; locked for 5 minutes`,
      })
    }
  }
}
