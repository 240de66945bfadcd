/**
 * Encodes a batch of request spans as an OTLP/HTTP JSON export request (the protobuf JSON
 * mapping: hex ids, nanosecond times as decimal strings, attributes as `{key, value}`, default
 * values left out). Each span is one template string written straight into a buffer: no
 * intermediate object per span, which is what made the SDK's exporter expensive.
 */
import type { ClientSpan, RequestSpans } from './spans.ts'

/** OTLP's SpanKind values. */
const KIND_SERVER = 2
const KIND_CLIENT = 3
/** OTLP's STATUS_CODE_ERROR. */
const STATUS_ERROR = 2
/** Attributes recorded per span (SERVER 7, CLIENT at most 6): below this, nothing is dropped. */
const MOST_ATTRIBUTES = 7

const TIME_ORIGIN_MS = performance.timeOrigin
let lastSecond = -1
let lastSecondText = ''

/**
 * Unix time in nanoseconds, as a decimal string, of a `performance.now()` reading, to the
 * microsecond (all the clock gives). The seconds' digits are converted once per second: a
 * batch's times share them, and formatting a 16-digit number is the costly part.
 */
export function unixNanos(perfMs: number): string {
  const us = Math.round((TIME_ORIGIN_MS + perfMs) * 1000)
  const second = Math.floor(us / 1_000_000)
  if (second !== lastSecond) {
    lastSecond = second
    lastSecondText = String(second)
  }
  // 1e6 + the microseconds, minus its leading 1: six digits with leading zeros.
  return `${lastSecondText}${String(1_000_000 + us - second * 1_000_000).slice(1)}000`
}

/** Milliseconds kept to the microsecond, so the number prints short. */
function ms(value: number): number {
  return Math.round(value * 1000) / 1000
}

// Control characters are exactly what JSON requires escaped.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/

/** A JSON string literal; the common case (nothing to escape) skips JSON.stringify. */
function str(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`
}

function strAttr(key: string, value: string): string {
  return `{"key":"${key}","value":{"stringValue":${str(value)}}}`
}

function intAttr(key: string, value: number | undefined): string {
  return value === undefined ? '' : `{"key":"${key}","value":{"intValue":"${Math.trunc(value)}"}}`
}

function doubleAttr(key: string, value: number | undefined): string {
  return value === undefined || !Number.isFinite(value)
    ? ''
    : `{"key":"${key}","value":{"doubleValue":${ms(value)}}}`
}

function boolAttr(key: string, value: boolean | undefined): string {
  return value === undefined ? '' : `{"key":"${key}","value":{"boolValue":${value}}}`
}

/** Joins the present attributes, keeping the first `max` and counting the others. */
function attributes(list: readonly string[], max: number): string {
  let out = ''
  let kept = 0
  let dropped = 0
  for (const item of list) {
    if (item === '') continue
    if (kept >= max) {
      dropped++
      continue
    }
    out += kept === 0 ? item : `,${item}`
    kept++
  }
  const droppedField = dropped === 0 ? '' : `,"droppedAttributesCount":${dropped}`
  return `"attributes":[${out}]${droppedField}`
}

function head(trace: RequestSpans, spanId: string, parent: string, name: string): string {
  const parentField = parent === '' ? '' : `"parentSpanId":"${parent}",`
  const state = trace.traceState === '' ? '' : `"traceState":${str(trace.traceState)},`
  return `{"traceId":"${trace.traceId}","spanId":"${spanId}",${parentField}${state}"name":${str(name)},`
}

function serverSpan(trace: RequestSpans, max: number): string {
  const status = trace.status >= 500 ? `,"status":{"code":${STATUS_ERROR}}` : ''
  const list = [
    strAttr('http.method', trace.method),
    strAttr('http.url', trace.url),
    strAttr('http.host', trace.host),
    strAttr('http.client_ip', trace.clientIp),
    intAttr('http.status_code', trace.status),
    intAttr('http.response.body.size', trace.bodySize),
    strAttr('http.location', trace.location),
  ]
  const attrs = max >= MOST_ATTRIBUTES ? `"attributes":[${list.join(',')}]` : attributes(list, max)
  return (
    `${head(trace, trace.spanId, trace.parentSpanId, trace.name)}"kind":${KIND_SERVER},` +
    `"startTimeUnixNano":"${unixNanos(trace.start)}","endTimeUnixNano":"${unixNanos(trace.end)}",` +
    `${attrs}${status}}`
  )
}

function clientSpan(trace: RequestSpans, span: ClientSpan, max: number): string {
  const status =
    span.error === undefined
      ? ''
      : `,"status":{"code":${STATUS_ERROR},"message":${str(span.error)}}`
  const list = [
    strAttr('upstream.addr', span.addr),
    intAttr('http.status_code', span.status),
    boolAttr('upstream.reused', span.reused),
    doubleAttr('upstream.connect_time', span.connectTime),
    doubleAttr('upstream.processing_time', span.processingTime),
    doubleAttr('upstream.response_time', span.responseTime),
  ]
  return (
    `${head(trace, span.spanId, trace.spanId, span.name)}"kind":${KIND_CLIENT},` +
    `"startTimeUnixNano":"${unixNanos(span.start)}","endTimeUnixNano":"${unixNanos(span.end)}",` +
    `${attributes(list, max)}${status}}`
  )
}

/** The constant parts of one server's export requests. */
export interface JsonEnvelope {
  readonly prefix: string
  readonly suffix: string
}

/** The envelope naming the resource (`service.name`) and the instrumentation scope. */
export function jsonEnvelope(serviceName: string, scope: string): JsonEnvelope {
  const resource = `{"attributes":[${strAttr('service.name', serviceName)}]}`
  return {
    prefix: `{"resourceSpans":[{"resource":${resource},"scopeSpans":[{"scope":{"name":${str(scope)}},"spans":[`,
    suffix: ']}]}]}',
  }
}

/** Appends strings as UTF-8 to a list of chunks, one allocation per 64 KB. */
class ChunkWriter {
  static readonly CHUNK = 65_536
  readonly #full: Buffer[] = []
  #chunk = Buffer.allocUnsafe(ChunkWriter.CHUNK)
  #at = 0

  write(text: string): void {
    // A UTF-16 unit is at most 3 UTF-8 bytes.
    if (this.#at + text.length * 3 > this.#chunk.length) {
      this.#full.push(this.#chunk.subarray(0, this.#at))
      this.#chunk = Buffer.allocUnsafe(Math.max(ChunkWriter.CHUNK, text.length * 3))
      this.#at = 0
    }
    this.#at += this.#chunk.write(text, this.#at)
  }

  finish(): Buffer {
    const last = this.#chunk.subarray(0, this.#at)
    return this.#full.length === 0 ? last : Buffer.concat([...this.#full, last])
  }
}

/** The export request body for `batch`, keeping at most `maxAttributes` per span. */
export function encodeJson(
  envelope: JsonEnvelope,
  batch: readonly RequestSpans[],
  maxAttributes: number,
): Buffer {
  const out = new ChunkWriter()
  out.write(envelope.prefix)
  let first = true
  for (const trace of batch) {
    out.write((first ? '' : ',') + serverSpan(trace, maxAttributes))
    first = false
    for (const span of trace.clients) out.write(`,${clientSpan(trace, span, maxAttributes)}`)
  }
  out.write(envelope.suffix)
  return out.finish()
}
