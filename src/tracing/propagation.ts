/**
 * Trace context in request headers: W3C `traceparent` / `tracestate` and, when enabled,
 * Jaeger's `uber-trace-id`. Read from the client's request, written into the upstream request.
 * W3C `baggage` needs no code: the client's header is forwarded to the upstream as is.
 */
import type { IncomingHttpHeaders } from 'node:http'

/** The caller's span, which the SERVER span continues. */
export interface RemoteParent {
  readonly traceId: string
  readonly spanId: string
  readonly sampled: boolean
  /** The `tracestate` header ('' when none). */
  readonly traceState: string
}

const TRACEPARENT = /^\s?([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?\s?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)
/** W3C caps `tracestate` at 32 members; a longer header is not worth carrying. */
const MAX_TRACESTATE = 512

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function validIds(traceId: string, spanId: string): boolean {
  return traceId !== ZERO_TRACE && spanId !== ZERO_SPAN
}

/** Parses a W3C `traceparent` value (version 00 exactly, later versions leniently). */
export function parseTraceparent(value: string, traceState = ''): RemoteParent | undefined {
  const m = TRACEPARENT.exec(value)
  if (m === null) return undefined
  const [, version, traceId = '', spanId = '', flags = '00', rest] = m
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (!validIds(traceId, spanId)) return undefined
  const sampled = (parseInt(flags, 16) & 1) === 1
  return { traceId, spanId, sampled, traceState }
}

/** Parses Jaeger's `{trace-id}:{span-id}:{parent-span-id}:{flags}` (ids may be short). */
export function parseUberTraceId(value: string): RemoteParent | undefined {
  let text = value
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text)
    } catch {
      return undefined
    }
  }
  const parts = text.split(':')
  if (parts.length !== 4) return undefined
  const [rawTrace = '', rawSpan = '', , flags = ''] = parts
  if (!/^[0-9a-f]{1,32}$/i.test(rawTrace) || !/^[0-9a-f]{1,16}$/i.test(rawSpan)) return undefined
  const traceId = rawTrace.toLowerCase().padStart(32, '0')
  const spanId = rawSpan.toLowerCase().padStart(16, '0')
  if (!validIds(traceId, spanId)) return undefined
  const sampled = (parseInt(flags, 16) & 1) === 1
  return { traceId, spanId, sampled, traceState: '' }
}

function traceStateOf(headers: IncomingHttpHeaders): string {
  const raw = headers['tracestate']
  const text = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).trim()
  return text.length > MAX_TRACESTATE ? '' : text
}

/**
 * The caller's span from the request headers, or undefined. With `jaeger`, a valid
 * `uber-trace-id` wins over `traceparent` (as OpenTelemetry's composite propagator, which
 * applies the Jaeger propagator last).
 */
export function extractParent(
  headers: IncomingHttpHeaders,
  jaeger: boolean,
): RemoteParent | undefined {
  if (jaeger) {
    const uber = first(headers['uber-trace-id'])
    const parent = uber === undefined ? undefined : parseUberTraceId(uber)
    if (parent !== undefined) return parent
  }
  const traceparent = first(headers['traceparent'])
  if (traceparent === undefined) return undefined
  return parseTraceparent(traceparent, traceStateOf(headers))
}

/** Writes the context of span `spanId` of `traceId` into the upstream request's headers. */
export function injectContext(
  headers: Record<string, string | string[]>,
  traceId: string,
  spanId: string,
  sampled: boolean,
  traceState: string,
  jaeger: boolean,
): void {
  const flags = sampled ? '01' : '00'
  headers['traceparent'] = `00-${traceId}-${spanId}-${flags}`
  if (traceState !== '') headers['tracestate'] = traceState
  if (jaeger) headers['uber-trace-id'] = `${traceId}:${spanId}:0:${flags}`
}
