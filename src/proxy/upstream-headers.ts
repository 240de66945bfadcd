/**
 * Builds the header set sent upstream: the client's headers minus hop-by-hop ones (RFC 9110
 * §7.6.1, including any named in `Connection`), then the location's rules in Pingap's order
 * (spec §2.7): reverse-proxy headers, `proxy_set_headers`, `proxy_add_headers`.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { RequestContext } from '../core/context.ts'
import type { HeaderRules } from '../runtime/snapshot.ts'

export type UpstreamHeaders = Record<string, string | string[]>

const NEVER = 1
const UNLESS_TRUSTED = 2

/**
 * Client headers not copied to the upstream request, in one map so the copy loop looks each
 * name up once.
 *
 * NEVER: hop-by-hop. `expect` is answered by Node itself (100-continue) and undici refuses it;
 * `host` is forwarded unchanged, as Pingap does, unless a rule overrides it.
 *
 * UNLESS_TRUSTED: what a client says about the original request (its host, scheme, port, IP).
 * Backends build absolute URLs and make access decisions from them; from a peer that is not in
 * `basic.trusted_proxies` they are lies at worst, and a cached response built from them would
 * be served to everyone (hostile-catalogue I3). `X-Forwarded-For` is kept: the proxy appends
 * the peer, and its rightmost entry is the one that counts.
 */
const NOT_COPIED = new Map<string, number>([
  ['connection', NEVER],
  ['keep-alive', NEVER],
  ['proxy-connection', NEVER],
  ['transfer-encoding', NEVER],
  ['te', NEVER],
  ['trailer', NEVER],
  ['upgrade', NEVER],
  ['http2-settings', NEVER],
  ['expect', NEVER],
  ['x-forwarded-host', UNLESS_TRUSTED],
  ['x-forwarded-proto', UNLESS_TRUSTED],
  ['x-forwarded-port', UNLESS_TRUSTED],
  ['x-real-ip', UNLESS_TRUSTED],
  ['forwarded', UNLESS_TRUSTED],
])

function isGrpc(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.startsWith('application/grpc')
}

/**
 * Headers a client may not get removed by naming them in `Connection` (hostile-catalogue F2):
 * the nomination is ignored, so framing, routing and credentials stay as sent.
 */
const NOT_NOMINABLE = new Set(['host', 'content-length', 'authorization', 'cookie'])

function connectionTokens(headers: IncomingHttpHeaders): Set<string> | undefined {
  const value = headers.connection
  if (value === undefined) return undefined
  const tokens = new Set<string>()
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase()
    if (t !== '' && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade' && !NOT_NOMINABLE.has(t))
      tokens.add(t)
  }
  return tokens.size > 0 ? tokens : undefined
}

/**
 * `X_Forwarded_For` and the like: some upstream stacks (CGI, WSGI) fold `_` into `-`, so such an
 * alias could override what the proxy sets or the framing. They are dropped, as nginx drops
 * headers with underscores (hostile-catalogue F6).
 */
const UNDERSCORE_ALIASED = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
])

function isAlias(name: string): boolean {
  return name.includes('_') && UNDERSCORE_ALIASED.has(name.replaceAll('_', '-'))
}

function appendHeader(headers: UpstreamHeaders, name: string, value: string): void {
  const existing = headers[name]
  if (existing === undefined) headers[name] = value
  else if (Array.isArray(existing)) existing.push(value)
  else headers[name] = [existing, value]
}

function forwardedFor(ctx: RequestContext, dropped: Set<string> | undefined): string {
  // A client-nominated X-Forwarded-For is dropped before the proxy adds its own (F2).
  const xff = dropped?.has('x-forwarded-for') === true ? undefined : ctx.headers['x-forwarded-for']
  return typeof xff === 'string' && xff !== '' ? `${xff}, ${ctx.remoteAddr}` : ctx.remoteAddr
}

function applyRules(
  headers: UpstreamHeaders,
  ctx: RequestContext,
  rules: HeaderRules,
  dropped: Set<string> | undefined,
): void {
  if (rules.reverseProxy) {
    headers['x-real-ip'] = ctx.remoteAddr
    headers['x-forwarded-for'] = forwardedFor(ctx, dropped)
    headers['x-forwarded-proto'] = ctx.scheme
    headers['x-forwarded-host'] = ctx.host
    headers['x-forwarded-port'] = String(ctx.serverPort)
  }
  for (const rule of rules.set) headers[rule.name] = rule.value(ctx)
  for (const rule of rules.add) appendHeader(headers, rule.name, rule.value(ctx))
}

/** The headers for the upstream request; `upgrade` keeps `Connection`/`Upgrade` for tunnels. */
export function buildUpstreamHeaders(
  ctx: RequestContext,
  rules: HeaderRules | null,
  upgrade = false,
): UpstreamHeaders {
  const source = ctx.headers
  const extra = connectionTokens(source)
  const headers: UpstreamHeaders = {}
  const kept = ctx.peerTrusted ? UNLESS_TRUSTED : 0
  for (const name in source) {
    const rule = NOT_COPIED.get(name)
    if ((rule !== undefined && rule !== kept) || extra?.has(name) === true || isAlias(name))
      continue
    // HTTP/2 pseudo-headers (`:path`, `:authority`…) are never forwarded as fields.
    if (name.charCodeAt(0) === 58 /* : */) continue
    const value = source[name]
    if (value !== undefined) headers[name] = value
  }
  const authority = source[':authority']
  if (authority !== undefined) {
    // An HTTP/2 client names the host in `:authority` (RFC 9113 §8.3.1); HTTP/1 upstreams need it
    // as Host, and undici turns Host back into `:authority` for HTTP/2 upstreams.
    headers['host'] ??= authority
    // gRPC needs `te: trailers` end to end; it is the one TE value HTTP/2 allows.
    if (source.te === 'trailers' && isGrpc(source['content-type'])) headers['te'] = 'trailers'
  }
  if (upgrade) {
    const up = source.upgrade
    if (up !== undefined) {
      headers['connection'] = 'upgrade'
      headers['upgrade'] = up
    }
  }
  if (rules !== null) applyRules(headers, ctx, rules, extra)
  return headers
}

/** Removes from a response the headers its `Connection` header names (RFC 9110 §7.6.1). */
export function stripNominated(
  headers: Record<string, unknown>,
  connection: string | string[] | undefined,
): void {
  if (connection === undefined) return
  // The common `Connection: keep-alive` / `close` names nothing to strip; skipping it also keeps
  // `delete` (which turns the object into a slow dictionary) off the hot path.
  if (connection === 'keep-alive' || connection === 'close') return
  for (const token of String(connection).split(',')) {
    const name = token.trim().toLowerCase()
    if (name !== '' && !NOT_NOMINABLE.has(name) && name in headers) delete headers[name]
  }
}

/** Upstream response headers that must not be relayed to the client. */
export const RESPONSE_HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'trailer',
  'upgrade',
  'te',
])
