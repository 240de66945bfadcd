/**
 * The per-request pipeline of one `[servers.<name>]` (docs/architecture.md, "Request flow"):
 * read the snapshot once → parse and normalise the target → route → limits → early_request
 * plugins → rewrite → request and proxy_upstream plugins → pick a backend → forward.
 */
import { answerChallenge } from '../acme/challenge.ts'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext } from '../core/context.ts'
import { PingapError } from '../core/errors.ts'
import { runCacheLookup, runDone, runRequestStep } from '../plugins/chains.ts'
import type { HttpResponse } from '../core/http-response.ts'
import { normalizePath } from '../router/index.ts'
import type { Runtime } from '../runtime/runtime.ts'
import type { LocationRuntime, ServerRuntime, Snapshot } from '../runtime/snapshot.ts'
import type { Upstream } from '../upstream/types.ts'
import { newContext } from './context.ts'
import { sendViaResponseHooks } from './cache-hit.ts'
import { forward } from './forward.ts'
import { parseRequestTarget, hostWithoutPort } from './request-target.ts'
import { guardRequest } from './request-guard.ts'
import { sendError, sendLocalResponse } from './send.ts'
import type { RequestObserver } from './observer.ts'
import { logger } from '../core/logger.ts'
import { answerScrape, isScrape } from '../metrics/scrape.ts'
import { onResponseClose } from './response-close.ts'

const log = logger.child({ module: 'proxy' })

/** What routing produced for one request, before plugins run. */
export interface RoutedRequest {
  readonly snapshot: Snapshot
  readonly server: ServerRuntime
  readonly ctx: RequestContext
  readonly location: LocationRuntime | undefined
}

function requestHost(req: IncomingMessage, authority: string | undefined): string {
  if (authority !== undefined) return authority
  const host = req.headers.host ?? req.headers[':authority']
  return typeof host === 'string' ? hostWithoutPort(host) : ''
}

/**
 * Parses, normalises and routes a request; throws a PingapError for a bad target. The
 * returned context is shared by the HTTP and the Upgrade paths.
 */
export function routeRequest(
  snapshot: Snapshot,
  serverName: string,
  req: IncomingMessage,
): RoutedRequest {
  const server = snapshot.servers.get(serverName)
  if (server !== undefined) guardRequest(req, server.limits)
  const target = parseRequestTarget(req.url ?? '')
  if (server === undefined || target === undefined) {
    throw new PingapError('PGT_ERR_BAD_REQUEST', ['invalid request target'])
  }
  // Absolute-form (RFC 9112 §3.2.2): the target's authority replaces Host, for routing and
  // for the upstream alike; the request line forwarded upstream is origin-form.
  if (target.hostHeader !== undefined) req.headers.host = target.hostHeader
  const path = normalizePath(target.path)
  if (path === null) throw new PingapError('PGT_ERR_BAD_REQUEST', ['invalid path'])
  const host = requestHost(req, target.authority)
  const ctx = newContext(req, serverName, host, path, target.query, {
    trustedProxies: snapshot.trustedProxies,
    timePlugins: server.serverTiming,
  })
  const match = server.router.route(ctx)
  if (match === undefined) return { snapshot, server, ctx, location: undefined }
  const location = server.locations.get(match.location.name)
  ctx.location = match.location.name
  if (match.variables.size > 0) ctx.variables = new Map(match.variables)
  return { snapshot, server, ctx, location }
}

/** Applies the location's rewrite (spec §2.5): new path, query kept, captures added. */
export function applyRewrite(ctx: RequestContext, location: LocationRuntime): void {
  const rewriter = location.matcher.rewriter
  if (rewriter === null) return
  const result = rewriter.rewrite(ctx.path, ctx.variables)
  if (result === undefined) return
  const q = result.path.indexOf('?')
  // Captured text can carry `..` or `//`: the rewritten path is normalised like the original.
  const path = normalizePath(q >= 0 ? result.path.slice(0, q) : result.path)
  if (path === null) throw new PingapError('PGT_ERR_BAD_REQUEST', ['invalid rewritten path'])
  ctx.path = path
  if (q >= 0) ctx.query = result.path.slice(q + 1)
  if (result.captures !== undefined && result.captures.size > 0) {
    ctx.variables ??= new Map()
    for (const [k, v] of result.captures) ctx.variables.set(k, v)
  }
}

/** The upstream name a request uses: a plugin override, else the location's (`$var` resolved). */
export function upstreamNameOf(ctx: RequestContext, location: LocationRuntime): string {
  const name = ctx.upstreamOverride ?? location.upstream
  return name.startsWith('$') ? (ctx.variables?.get(name.slice(1)) ?? name) : name
}

/** Resolves `upstream = "$var"` and plugin overrides to an Upstream (503 when unknown). */
export function resolveUpstream(
  snapshot: Snapshot,
  ctx: RequestContext,
  location: LocationRuntime,
): Upstream {
  const name = upstreamNameOf(ctx, location)
  const upstream = snapshot.upstreams.get(name)
  if (upstream === undefined) throw new PingapError('PGT_ERR_UPSTREAM_UNAVAILABLE', [location.name])
  return upstream
}

/** Enforces `client_max_body_size` by Content-Length and `max_processing` (spec §2.8). */
function admit(req: IncomingMessage, location: LocationRuntime): void {
  if (location.maxBodyBytes > 0) {
    const length = Number(req.headers['content-length'] ?? 0)
    if (length > location.maxBodyBytes) {
      throw new PingapError('PGT_ERR_BODY_TOO_LARGE', [location.maxBodyBytes])
    }
  }
  const counters = location.counters
  counters.accepted++
  if (location.maxProcessing > 0 && counters.processing >= location.maxProcessing) {
    throw new PingapError('PGT_ERR_TOO_MANY_REQUESTS', [location.maxProcessing])
  }
  counters.processing++
}

/** A plugin response, nothing (go on to the upstream), or the promise of one of them. */
type StepResult = HttpResponse | undefined | Promise<HttpResponse | undefined>

/**
 * Runs the three request steps: a plugin response when one answered. Synchronous while every
 * plugin is (the common case), so a request with no asynchronous plugin takes no promise and
 * no microtask hop on its way to the upstream (issue 4, hot path).
 */
export function runRequestPlugins(ctx: RequestContext, location: LocationRuntime): StepResult {
  const early = location.chains.request.early_request
  const out = early === null ? undefined : runRequestStep(early, ctx)
  if (out instanceof Promise) return out.then((r) => r ?? afterEarlyRequest(ctx, location))
  return out ?? afterEarlyRequest(ctx, location)
}

function afterEarlyRequest(ctx: RequestContext, location: LocationRuntime): StepResult {
  applyRewrite(ctx, location)
  const request = location.chains.request.request
  const out = request === null ? undefined : runRequestStep(request, ctx)
  if (out instanceof Promise) return out.then((r) => r ?? afterRequest(ctx, location))
  return out ?? afterRequest(ctx, location)
}

function afterRequest(ctx: RequestContext, location: LocationRuntime): StepResult {
  // Spec §4.3 step 3: the cache is looked up after every `request` plugin (auth included) ran;
  // a hit carries `viaResponseHooks` and skips `proxy_upstream`.
  const hit = runCacheLookup(location.chains.cacheLookup, ctx)
  if (hit instanceof Promise) return hit.then((r) => r ?? proxyUpstreamStep(ctx, location))
  return hit ?? proxyUpstreamStep(ctx, location)
}

function proxyUpstreamStep(ctx: RequestContext, location: LocationRuntime): StepResult {
  const chain = location.chains.request.proxy_upstream
  return chain === null ? undefined : runRequestStep(chain, ctx)
}

/** Runs the request plugins, then answers or forwards; a promise only when a plugin was async. */
function proxyRequest(
  routed: RoutedRequest,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> | undefined {
  const { ctx, location } = routed
  if (location === undefined) {
    throw new PingapError('PGT_ERR_ROUTE_NOT_FOUND', [ctx.host, ctx.path])
  }
  admit(req, location)
  onResponseClose(res, () => {
    location.counters.processing--
    try {
      runDone(location.chains.done, ctx)
    } catch (err) {
      log.error('plugin cleanup failed', { location: location.name, err })
    }
  })
  const out = runRequestPlugins(ctx, location)
  if (out instanceof Promise)
    return out.then((response) => answer(routed, location, req, res, response))
  answer(routed, location, req, res, out)
  return undefined
}

/** Sends a plugin's response, or forwards to a backend when there is none. */
function answer(
  routed: RoutedRequest,
  location: LocationRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  response: HttpResponse | undefined,
): void {
  const { snapshot, ctx } = routed
  if (response !== undefined) {
    if (response.viaResponseHooks === true) {
      const { server } = routed
      sendViaResponseHooks(
        { ctx, req, res, server, location, errorTemplate: snapshot.errorTemplate },
        response,
      )
    } else {
      sendLocalResponse(req, res, ctx, response)
    }
    return
  }
  const upstream = resolveUpstream(snapshot, ctx, location)
  const backend = upstream.transparent ? upstream.backendFor(ctx.host) : upstream.pick(ctx)
  if (backend === undefined) throw new PingapError('PGT_ERR_UPSTREAM_UNAVAILABLE', [location.name])
  forward(
    {
      ctx,
      req,
      res,
      server: routed.server,
      location,
      upstream,
      errorTemplate: snapshot.errorTemplate,
    },
    backend,
  )
}

/** The `request` listener of one server; `observer` logs and measures each finished request. */
export function createHandler(runtime: Runtime, serverName: string, observer: RequestObserver) {
  return function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const snapshot = runtime.current // read once: this request never sees a reload
    // ACME HTTP-01 challenges are answered before routing (spec §11.3).
    if (snapshot.tls.http01 && answerChallenge(snapshot.config, req, res)) return
    const metrics = observer.metrics
    if (metrics !== undefined && isScrape(metrics, serverName, req)) {
      void answerScrape(metrics, req, res)
      return
    }
    let routed: RoutedRequest
    try {
      routed = routeRequest(snapshot, serverName, req)
    } catch (err) {
      sendError(req, res, undefined, snapshot.errorTemplate, err)
      return
    }
    observer.observe(routed, res)
    const fail = (err: unknown): void =>
      sendError(req, res, routed.ctx, snapshot.errorTemplate, err)
    try {
      proxyRequest(routed, req, res)?.catch(fail)
    } catch (err) {
      fail(err)
    }
  }
}
