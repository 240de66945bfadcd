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

/** Header maps of stored responses, built once per entry and copied per hit. */
const headerMaps = new WeakMap<StoredMeta, Readonly<OutgoingHttpHeaders>>()

function toHeaders(meta: StoredMeta): OutgoingHttpHeaders {
  let map = headerMaps.get(meta)
  if (map === undefined) {
    const headers: OutgoingHttpHeaders = {}
    for (const [name, value] of meta.headers) {
      const old = headers[name]
      if (old === undefined) headers[name] = value
      else headers[name] = Array.isArray(old) ? [...old, value] : [String(old), value]
    }
    map = Object.freeze(headers)
    headerMaps.set(meta, map)
  }
  return { ...map }
}

function dateMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

/** The answer to `ctx` from `stored` at time `now`. */
export function hitResponse(
  ctx: RequestContext,
  stored: StoredResponse,
  now: number,
): HttpResponse {
  const { meta } = stored
  const headers = toHeaders(meta)
  headers['age'] = String(Math.max(0, Math.floor((now - meta.storedAt) / 1000)) + meta.age)
  const etag = typeof headers['etag'] === 'string' ? headers['etag'] : undefined
  const conditional =
    ctx.headers['if-modified-since'] !== undefined || ctx.headers['if-range'] !== undefined
  const modified = conditional ? dateMs(headers['last-modified']) : undefined
  const ok = meta.status === 200
  if (ok && notModified(ctx.headers, etag, modified)) {
    return { status: 304, headers, body: EMPTY, viaResponseHooks: true }
  }
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
