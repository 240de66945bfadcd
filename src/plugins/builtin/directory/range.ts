/**
 * Single byte ranges (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n`. Like Pingap only the
 * first range of a list is served. A header that does not parse is ignored (a full 200), as the
 * RFC allows; a range that parses but lies outside the body is unsatisfiable (416).
 */

/** The outcome of a Range header against a body of `size` bytes. */
export type RangeResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }

const NONE: RangeResult = { kind: 'none' }
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' }
const SPEC = /^\s*(\d*)\s*-\s*(\d*)\s*$/

/** Evaluates `header` (may be undefined) for a body of `size` bytes; `end` is inclusive. */
export function evaluateRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return NONE
  const eq = header.indexOf('=')
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return NONE
  const first = header.slice(eq + 1).split(',')[0] ?? ''
  const m = SPEC.exec(first)
  if (m === null) return NONE
  const [, from = '', to = ''] = m
  if (from === '' && to === '') return NONE
  if (from === '') {
    const suffix = Number(to)
    if (suffix === 0 || size === 0) return UNSATISFIABLE
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(from)
  const last = to === '' ? Number.MAX_SAFE_INTEGER : Number(to)
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last) || last < start) return NONE
  if (start >= size) return UNSATISFIABLE
  return { kind: 'partial', start, end: Math.min(last, size - 1) }
}

/** `Content-Range` of a partial response. */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`
}

/** `Content-Range` of a 416 response. */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`
}
