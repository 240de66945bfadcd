/**
 * Capturing an upstream response for the cache: decide from its head whether it may be stored,
 * then collect the body (bounded by `max_file_size`) and store it once the body is complete.
 * A body that ends early (client gone, upstream reset) never reaches the end, so it is never
 * stored.
 */
import type { OutgoingHttpHeaders } from 'node:http'
import type { RequestContext } from '../../../core/context.ts'
import type { BodyObserver, ResponseHead } from '../../types.ts'
import { contentLength } from '../compression/eligibility.ts'
import { findHeader, headerValues } from '../headers.ts'
import { freshness, type FreshnessRules } from './freshness.ts'
import { varyValues } from './key.ts'
import { variantKey, type CacheStore, type StoredMeta } from './store.ts'

/** Headers never stored: recomputed per hit, or added per request by the cache itself. */
const NOT_STORED: ReadonlySet<string> = new Set([
  'age',
  'content-length',
  'x-cache-status',
  'x-cache-lookup',
  'x-cache-lock',
  'server-timing',
])

/** Where a capture goes and what it needs. */
export interface CaptureTarget {
  readonly store: CacheStore
  readonly primary: string
  readonly secondary: string
  readonly rules: FreshnessRules
  readonly maxBytes: number
  /** Called exactly once: after the entry is stored, or as soon as it will not be. */
  readonly done: () => void
  /** Called when an asynchronous write starts: `done` follows when it ends. */
  readonly writing: () => void
  readonly onError: (err: unknown) => void
}

function storedHeaders(headers: OutgoingHttpHeaders): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase()
    if (NOT_STORED.has(lower)) continue
    for (const value of headerValues(headers[name])) out.push([lower, value])
  }
  return out
}

function varyNames(headers: OutgoingHttpHeaders): string[] {
  const key = findHeader(headers, 'vary')
  if (key === undefined) return []
  const names = headerValues(headers[key])
    .join(',')
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '')
  return [...new Set(names)].sort()
}

/** An observer that stores the response when it may be stored; undefined when it may not. */
export function captureResponse(
  ctx: RequestContext,
  head: ResponseHead,
  target: CaptureTarget,
): BodyObserver | undefined {
  const now = Date.now()
  const fresh = freshness(head.status, head.headers, target.rules, now)
  const declared = contentLength(head.headers)
  if (fresh === undefined || (declared !== undefined && declared > target.maxBytes)) {
    target.done()
    return undefined
  }
  const vary = varyNames(head.headers)
  const base = {
    status: head.status,
    headers: storedHeaders(head.headers),
    storedAt: now,
    age: fresh.age,
    freshUntil: now + fresh.ttlMs,
    staleUntil: now + fresh.ttlMs + fresh.staleMs,
    vary,
  }
  const variant = variantKey(target.secondary, varyValues(ctx.headers, vary))
  const chunks: Buffer[] = []
  let size = 0
  let dropped = false
  return (chunk, end) => {
    if (dropped) return
    if (chunk.length > 0) {
      size += chunk.length
      if (size > target.maxBytes) {
        dropped = true
        chunks.length = 0
        target.done()
        return
      }
      chunks.push(chunk)
    }
    if (!end) return
    const body = Buffer.concat(chunks, size)
    const meta: StoredMeta = { ...base, size }
    try {
      const pending = target.store.put(target.primary, target.secondary, variant, meta, body)
      if (pending instanceof Promise) {
        target.writing()
        pending.then(target.done, (err: unknown) => {
          target.onError(err)
          target.done()
        })
        return
      }
    } catch (err) {
      target.onError(err)
    }
    target.done()
  }
}
