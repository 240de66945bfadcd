/** Small pieces several built-in plugins share: step lists, delays, state, constant-time compare. */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestContext } from '../../core/context.ts'
import type { HttpResponse } from '../../core/http-response.ts'
import type { PluginStep } from '../types.ts'

/**
 * Steps for plugins Pingap runs at `request` only. They work the same earlier or later, so
 * pingap-ts lets them run at any request step instead of silently doing nothing there.
 */
export const REQUEST_STEPS: readonly PluginStep[] = ['early_request', 'request', 'proxy_upstream']

/** Plugins Pingap lets the user place at `request` or `proxy_upstream`. */
export const REQUEST_OR_PROXY: readonly PluginStep[] = ['request', 'proxy_upstream']

/** Answers `response` after `ms` (to slow down guessing); at once when `ms` is 0. */
export function delayed(ms: number, response: HttpResponse): HttpResponse | Promise<HttpResponse> {
  if (ms <= 0) return response
  return new Promise((resolve) => setTimeout(resolve, ms, response))
}

/** Stores per-request state under the plugin's name. */
export function setState(ctx: RequestContext, name: string, value: unknown): void {
  if (ctx.state === undefined) ctx.state = new Map([[name, value]])
  else ctx.state.set(name, value)
}

/** A SHA-256 digest, so secrets of any length compare in constant time. */
export function digest(value: string | Buffer): Buffer {
  return createHash('sha256').update(value).digest()
}

/** True when `value` equals one of `digests`; every entry is compared, in constant time. */
export function matchesAny(value: string, digests: readonly Buffer[]): boolean {
  const candidate = digest(value)
  let found = false
  for (const d of digests) found = timingSafeEqual(candidate, d) || found
  return found
}

/** Appends a header the proxy adds to the final response (`ctx.responseHeaders`). */
export function addResponseHeader(ctx: RequestContext, name: string, value: string): void {
  if (ctx.responseHeaders === undefined) ctx.responseHeaders = [[name, value]]
  else ctx.responseHeaders.push([name, value])
}
