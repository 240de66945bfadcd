/**
 * Turns a stored response into the answer for one request: headers with a fresh `Age`, a 304
 * when the client's validators match, a single byte range (206 / 416) when asked for, the body
 * from memory or streamed from disk. The answer goes through the response hooks
 * (`viaResponseHooks`), as Pingap sends cache hits through its response filters.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import type { RequestContext } from '../../../core/context.ts'
import type { HttpResponse } from '../../../core/http-response.ts'
import { notModified, rangeApplies } from '../directory/conditional.ts'
import { contentRange, evaluateRange, unsatisfiedRange } from '../directory/range.ts'
import type { StoredMeta, StoredResponse } from './store.ts'

const EMPTY = Buffer.alloc(0)

/** What every hit of one stored entry shares, worked out on its first hit. */
interface Prepared {
  /**
   * The stored headers as one plain object, per-hit slots last. Never frozen, never handed out:
   * each hit spreads it, which stays on V8's fast clone path while its shape is stable.
   */
  readonly template: OutgoingHttpHeaders
  /** The same for a 304, which has no Content-Length (deleting a key would slow the object). */
  readonly notModified: OutgoingHttpHeaders
  readonly etag: string | undefined
  readonly lastModified: number | undefined
}

const prepared = new WeakMap<StoredMeta, Prepared>()

function dateMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

function headerTemplate(meta: StoredMeta, withLength: boolean): OutgoingHttpHeaders {
  const template: OutgoingHttpHeaders = {}
  for (const [name, value] of meta.headers) {
    // A name that is an accessor of Object.prototype would change the object, not add a key.
    if (name === '__proto__') continue
    const old = Object.hasOwn(template, name) ? template[name] : undefined
    if (old === undefined) template[name] = value
    else template[name] = Array.isArray(old) ? [...old, value] : [String(old), value]
  }
  // Slots filled per hit (here, by the proxy, by the cache's response hook), in the order they
  // were added before: a hit that only overwrites keys keeps V8's fast object shape, whereas
  // adding keys to a spread copy goes through the runtime for every key.
  template['age'] = '0'
  if (withLength) template['content-length'] = meta.size
  template['x-cache-status'] = 'hit'
  template['x-cache-lookup'] = '0ms'
  return template
}

function prepare(meta: StoredMeta): Prepared {
  let p = prepared.get(meta)
  if (p !== undefined) return p
  const template = headerTemplate(meta, true)
  const etag = template['etag']
  p = {
    template,
    notModified: headerTemplate(meta, false),
    etag: typeof etag === 'string' ? etag : undefined,
    lastModified: dateMs(template['last-modified']),
  }
  prepared.set(meta, p)
  return p
}

/** The answer to `ctx` from `stored` at time `now`. */
export function hitResponse(
  ctx: RequestContext,
  stored: StoredResponse,
  now: number,
): HttpResponse {
  const { meta } = stored
  const p = prepare(meta)
  const { etag, lastModified: modified } = p
  const age = String(Math.max(0, Math.floor((now - meta.storedAt) / 1000)) + meta.age)
  const ok = meta.status === 200
  if (ok && notModified(ctx.headers, etag, modified)) {
    const headers: OutgoingHttpHeaders = { ...p.notModified }
    headers['age'] = age
    return { status: 304, headers, body: EMPTY, viaResponseHooks: true }
  }
  // A fresh object per hit: the response hooks may change it.
  const headers: OutgoingHttpHeaders = { ...p.template }
  headers['age'] = age
  const range =
    ok && ctx.headers.range !== undefined && rangeApplies(ctx.headers, etag, modified)
      ? evaluateRange(ctx.headers.range, meta.size)
      : ({ kind: 'none' } as const)
  if (range.kind === 'unsatisfiable') {
    headers['content-range'] = unsatisfiedRange(meta.size)
    return { status: 416, headers, body: EMPTY, viaResponseHooks: true }
  }
  const start = range.kind === 'partial' ? range.start : 0
  const end = range.kind === 'partial' ? range.end : meta.size - 1
  const status = range.kind === 'partial' ? 206 : meta.status
  if (range.kind === 'partial') headers['content-range'] = contentRange(start, end, meta.size)
  if (stored.body !== undefined || meta.size === 0) {
    const whole = stored.body ?? EMPTY
    const body = range.kind === 'partial' ? whole.subarray(start, end + 1) : whole
    return { status, headers, body, viaResponseHooks: true }
  }
  const stream = stored.stream
  return {
    status,
    headers,
    body: EMPTY,
    length: end - start + 1,
    ...(stream !== undefined ? { stream: () => stream(start, end) } : {}),
    viaResponseHooks: true,
  }
}
