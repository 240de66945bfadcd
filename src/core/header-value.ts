/**
 * Header entries of `proxy_set_headers` / `proxy_add_headers` and their dynamic values
 * (spec §2.7): a value is dynamic only when the whole value is one of the `$…` / `:key` forms;
 * anything that cannot be resolved is sent as the literal configured text.
 */
import { hostname } from 'node:os'
import { contextGetter } from './context-values.ts'
import { headerValue, type RequestContext } from './context.ts'

/** Produces a header value for one request. */
export type HeaderValueFn = (ctx: RequestContext) => string

type Resolver = (ctx: RequestContext) => string | undefined

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/i
const VALID_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

function nonEmpty(value: string): string | undefined {
  return value === '' ? undefined : value
}

/** XFF as nginx's `$proxy_add_x_forwarded_for`: the incoming chain plus the TCP peer. */
function proxyAddXForwardedFor(ctx: RequestContext): string | undefined {
  const existing = headerValue(ctx.headers, 'x-forwarded-for')
  if (existing === undefined || existing.trim() === '') return nonEmpty(ctx.remoteAddr)
  return `${existing}, ${ctx.remoteAddr}`
}

const VARIABLES: Readonly<Record<string, Resolver>> = {
  $host: (ctx) => nonEmpty(ctx.host),
  $scheme: (ctx) => ctx.scheme,
  $remote_addr: (ctx) => nonEmpty(ctx.remoteAddr),
  $remote_port: (ctx) => String(ctx.remotePort),
  $server_addr: (ctx) => nonEmpty(ctx.serverAddr),
  $server_port: (ctx) => String(ctx.serverPort),
  $upstream_addr: (ctx) => nonEmpty(ctx.upstreamAddr),
  $proxy_add_x_forwarded_for: proxyAddXForwardedFor,
}

/** `$http_<name>`: the header as named, else with `_` read as `-` (decisions §3, unlike Q16). */
function requestHeader(name: string): Resolver {
  const exact = name.toLowerCase()
  const dashed = exact.replaceAll('_', '-')
  if (dashed === exact) return (ctx) => headerValue(ctx.headers, exact)
  return (ctx) => headerValue(ctx.headers, exact) ?? headerValue(ctx.headers, dashed)
}

/** The resolver for a whole-value variable, or a constant, or undefined when not dynamic. */
function resolverFor(value: string): Resolver | string | undefined {
  if (value.startsWith(':')) return contextGetter(value.slice(1))
  if (!value.startsWith('$') || value.length === 1) return undefined
  if (Object.hasOwn(VARIABLES, value)) return VARIABLES[value]
  if (value === '$hostname') return hostname()
  if (value.startsWith('$http_') && value.length > 6) return requestHeader(value.slice(6))
  // Any other `$NAME` is an environment variable, read once: the config is rebuilt on reload.
  // `typeof`: names such as `valueOf` would otherwise find Object.prototype's functions.
  const env = process.env[value.slice(1)]
  return typeof env === 'string' && VALID_VALUE.test(env) ? env : undefined
}

/** Compiles a configured header value into a function of the request (constant when static). */
export function compileHeaderValue(value: string): HeaderValueFn {
  const resolver = resolverFor(value)
  if (resolver === undefined) return () => value
  if (typeof resolver === 'string') return () => resolver
  return (ctx) => resolver(ctx) ?? value
}

/** Splits a `"Name: value"` / `"Name:value"` entry; undefined when the name or value is invalid. */
export function parseHeaderEntry(entry: string): [name: string, value: string] | undefined {
  const colon = entry.indexOf(':')
  if (colon < 0) return undefined
  const name = entry.slice(0, colon).trim().toLowerCase()
  const value = entry.slice(colon + 1).trim()
  if (!TOKEN.test(name) || !VALID_VALUE.test(value)) return undefined
  return [name, value]
}
