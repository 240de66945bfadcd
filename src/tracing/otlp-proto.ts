/**
 * Encodes a batch of request spans as an OTLP/HTTP protobuf export request
 * (`opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest`), the default encoding of
 * OTLP/HTTP. Bytes are written straight into one buffer, with no message objects in between;
 * ids are converted from hex in JS; every attribute's length is known before it is written (a
 * short string's from its length alone), so only a span, whose length is reserved as two
 * bytes, can ever need moving. Less than half the JSON encoding's size, so gzip has less to do
 * too.
 *
 * Field numbers (opentelemetry-proto, trace/v1 and common/v1):
 * - ExportTraceServiceRequest: resource_spans 1. ResourceSpans: resource 1, scope_spans 2.
 *   Resource: attributes 1. ScopeSpans: scope 1, spans 2. InstrumentationScope: name 1.
 * - Span: trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5, kind 6,
 *   start_time_unix_nano 7 (fixed64), end_time_unix_nano 8 (fixed64), attributes 9,
 *   dropped_attributes_count 10, status 15. Status: message 2, code 3.
 * - KeyValue: key 1, value 2. AnyValue: string_value 1, bool_value 2, int_value 3,
 *   double_value 4.
 */
import type { ClientSpan, RequestSpans } from './spans.ts'

/** Wire types. */
const VARINT = 0
const FIXED64 = 1
const LEN = 2

const tag = (field: number, wire: number): number => (field << 3) | wire

const KIND_SERVER = 2
const KIND_CLIENT = 3
const STATUS_ERROR = 2

/**
 * A string of at most this many UTF-16 units is at most 96 UTF-8 bytes: with the longest key,
 * it and the messages around it take one length byte each.
 */
const SHORT = 32
/** Room made before each span: its fixed fields plus short attributes; long strings ask more. */
const SPAN_ROOM = 2_048

const TIME_ORIGIN_MS = performance.timeOrigin
const TWO_32 = 0x1_0000_0000

/** Hex digit values by char code; -1 for anything else. */
const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i
}

/** `tag(1, LEN), length, key`: the start of a KeyValue, the same for every span. */
function keyBytes(key: string): Uint8Array {
  const utf8 = Buffer.from(key)
  return Uint8Array.from([tag(1, LEN), utf8.length, ...utf8])
}

const KEYS = {
  method: keyBytes('http.method'),
  url: keyBytes('http.url'),
  host: keyBytes('http.host'),
  clientIp: keyBytes('http.client_ip'),
  status: keyBytes('http.status_code'),
  bodySize: keyBytes('http.response.body.size'),
  location: keyBytes('http.location'),
  addr: keyBytes('upstream.addr'),
  reused: keyBytes('upstream.reused'),
  connect: keyBytes('upstream.connect_time'),
  processing: keyBytes('upstream.processing_time'),
  response: keyBytes('upstream.response_time'),
} as const

/** One present attribute; the encoder keeps the first `max_attributes` of a span. */
type Attribute =
  | { readonly key: Uint8Array; readonly kind: 'string'; readonly value: string }
  | { readonly key: Uint8Array; readonly kind: 'int'; readonly value: number }
  | { readonly key: Uint8Array; readonly kind: 'double'; readonly value: number }
  | { readonly key: Uint8Array; readonly kind: 'bool'; readonly value: boolean }

/** A growable byte buffer with the protobuf primitives the spans need. */
class ProtoWriter {
  buf: Buffer
  at: number

  constructor(size: number, start: number) {
    this.buf = Buffer.allocUnsafe(size)
    this.at = start
  }

  /** Makes sure `n` more bytes fit. */
  room(n: number): void {
    if (this.at + n <= this.buf.length) return
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n))
    this.buf.copy(bigger, 0, 0, this.at)
    this.buf = bigger
  }

  byte(value: number): void {
    this.buf[this.at++] = value
  }

  /** A non-negative integer below 2^53 as a varint. */
  varint(value: number): void {
    const buf = this.buf
    let v = value
    while (v >= 0x80) {
      buf[this.at++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    buf[this.at++] = v
  }

  /** An int64 field value: negative numbers take ten bytes (two's complement). */
  int64(value: number): void {
    if (value >= 0) return this.varint(value)
    let v = BigInt.asUintN(64, BigInt(value))
    for (let i = 0; i < 9; i++) {
      this.byte(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.byte(Number(v))
  }

  bytes(data: Uint8Array): void {
    this.buf.set(data, this.at)
    this.at += data.length
  }

  /** Hex digits as bytes (ids are lower-case hex); the caller wrote the tag and length. */
  hex(text: string): void {
    const buf = this.buf
    for (let i = 0; i < text.length; i += 2) {
      buf[this.at++] = (HEX[text.charCodeAt(i)]! << 4) | HEX[text.charCodeAt(i + 1)]!
    }
  }

  /** A string of at most SHORT units as UTF-8; returns its byte length. */
  shortUtf8(text: string): number {
    const buf = this.buf
    const start = this.at
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c >= 0x80) {
        this.at = start + buf.write(text, start, 'utf8')
        return this.at - start
      }
      buf[this.at++] = c
    }
    return text.length
  }

  /** A length-delimited string field. */
  string(field: number, text: string): void {
    this.byte(tag(field, LEN))
    if (text.length <= SHORT) {
      const lengthAt = this.at++
      this.buf[lengthAt] = this.shortUtf8(text)
      return
    }
    const length = Buffer.byteLength(text)
    // Room for it and for the rest of the span's short fields.
    this.room(length + SPAN_ROOM)
    this.varint(length)
    this.at += this.buf.write(text, this.at, 'utf8')
  }

  /** A `bytes` id field from hex; an empty id is left out. */
  id(field: number, text: string): void {
    if (text === '') return
    this.byte(tag(field, LEN))
    this.byte(text.length / 2)
    this.hex(text)
  }

  /**
   * A fixed64 field holding the Unix time in nanoseconds of a `performance.now()` reading, to
   * the microsecond (all the clock gives). Split into 32-bit halves so no step leaves the
   * integers a double holds exactly.
   */
  unixNanos(field: number, perfMs: number): void {
    const us = Math.round((TIME_ORIGIN_MS + perfMs) * 1000)
    const high = Math.floor(us / TWO_32)
    const lowNanos = (us - high * TWO_32) * 1000
    const carry = Math.floor(lowNanos / TWO_32)
    this.byte(tag(field, FIXED64))
    this.buf.writeUInt32LE(lowNanos - carry * TWO_32, this.at)
    this.buf.writeUInt32LE(high * 1000 + carry, this.at + 4)
    this.at += 8
  }

  /** Starts a message field of unknown length: its length is written by `endMessage`. */
  beginMessage(field: number): number {
    this.byte(tag(field, LEN))
    // Two bytes: lengths up to 16,383, which covers every span not carrying a huge URL.
    this.at += 2
    return this.at
  }

  /** Writes the length of the message begun at `start`, moving its bytes if it needs to. */
  endMessage(start: number): void {
    const length = this.at - start
    const buf = this.buf
    if (length >= 0x80 && length < 0x4000) {
      buf[start - 2] = (length & 0x7f) | 0x80
      buf[start - 1] = length >> 7
      return
    }
    const lengthBytes = length < 0x80 ? 1 : varintSize(length)
    const shift = lengthBytes - 2
    if (shift > 0) this.room(shift)
    this.buf.copyWithin(start + shift, start, this.at)
    this.at = start - 2
    this.varint(length)
    this.at += length
  }

  /**
   * A KeyValue in message field `field`. Every length is known before the bytes are written
   * (a short string's from its length alone), so nothing has to move afterwards.
   */
  attribute(field: number, attr: Attribute): void {
    this.byte(tag(field, LEN))
    if (attr.kind === 'string' && attr.value.length <= SHORT) {
      this.#shortStringKeyValue(attr.key, attr.value)
      return
    }
    const valueSize = anyValueSize(attr)
    this.varint(attr.key.length + 1 + varintSize(valueSize) + valueSize)
    this.bytes(attr.key)
    this.byte(tag(2, LEN))
    this.varint(valueSize)
    switch (attr.kind) {
      case 'string':
        this.string(1, attr.value)
        break
      case 'bool':
        this.byte(tag(2, VARINT))
        this.byte(attr.value ? 1 : 0)
        break
      case 'int':
        this.byte(tag(3, VARINT))
        this.int64(attr.value)
        break
      case 'double':
        this.byte(tag(4, FIXED64))
        this.buf.writeDoubleLE(attr.value, this.at)
        this.at += 8
        break
    }
  }

  /** The KeyValue's length, then key, value and string: at most 3 × SHORT bytes, below 128. */
  #shortStringKeyValue(key: Uint8Array, text: string): void {
    const kvAt = this.at++
    this.bytes(key)
    this.byte(tag(2, LEN))
    const valueAt = this.at++
    this.byte(tag(1, LEN))
    const textAt = this.at++
    const n = this.shortUtf8(text)
    this.buf[textAt] = n
    this.buf[valueAt] = n + 2
    this.buf[kvAt] = this.at - kvAt - 1
  }

  /** Writes the present attributes, keeping the first `max`, and the dropped count. */
  attributes(list: ReadonlyArray<Attribute | undefined>, max: number): void {
    let kept = 0
    let dropped = 0
    for (const attr of list) {
      if (attr === undefined) continue
      if (kept >= max) {
        dropped++
        continue
      }
      if (attr.kind === 'string') this.room(attr.value.length * 3 + SPAN_ROOM)
      this.attribute(9, attr)
      kept++
    }
    if (dropped > 0) {
      this.byte(tag(10, VARINT))
      this.varint(dropped)
    }
  }
}

function varintSize(value: number): number {
  let size = 1
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++
  return size
}

/** The size of an attribute's AnyValue message. */
function anyValueSize(attr: Attribute): number {
  switch (attr.kind) {
    case 'string': {
      const n = Buffer.byteLength(attr.value)
      return 1 + varintSize(n) + n
    }
    case 'bool':
      return 2
    case 'int':
      return 1 + (attr.value >= 0 ? varintSize(attr.value) : 10)
    case 'double':
      return 9
  }
}

const str = (key: Uint8Array, value: string): Attribute => ({ key, kind: 'string', value })

function int(key: Uint8Array, value: number | undefined): Attribute | undefined {
  return value === undefined ? undefined : { key, kind: 'int', value: Math.trunc(value) }
}

function double(key: Uint8Array, value: number | undefined): Attribute | undefined {
  // Kept to the microsecond like the JSON encoding.
  return value === undefined || !Number.isFinite(value)
    ? undefined
    : { key, kind: 'double', value: Math.round(value * 1000) / 1000 }
}

function bool(key: Uint8Array, value: boolean | undefined): Attribute | undefined {
  return value === undefined ? undefined : { key, kind: 'bool', value }
}

/** What differs between a SERVER and a CLIENT span. */
interface SpanFields {
  readonly spanId: string
  readonly parentSpanId: string
  readonly name: string
  readonly kind: number
  readonly start: number
  readonly end: number
  readonly attributes: ReadonlyArray<Attribute | undefined>
  /** Whether the span gets an error status, with `error` as its message when set. */
  readonly failed: boolean
  readonly error?: string | undefined
}

function errorStatus(out: ProtoWriter, message: string | undefined): void {
  out.byte(tag(15, LEN))
  if (message === undefined) {
    out.byte(2)
  } else {
    const n = Buffer.byteLength(message)
    out.room(n + 16)
    out.varint(1 + varintSize(n) + n + 2)
    out.string(2, message)
  }
  out.byte(tag(3, VARINT))
  out.byte(STATUS_ERROR)
}

/** One Span message (field 2 of ScopeSpans). */
function writeSpan(out: ProtoWriter, trace: RequestSpans, span: SpanFields, max: number): void {
  out.room(SPAN_ROOM)
  const start = out.beginMessage(2)
  out.id(1, trace.traceId)
  out.id(2, span.spanId)
  if (trace.traceState !== '') out.string(3, trace.traceState)
  out.id(4, span.parentSpanId)
  out.string(5, span.name)
  out.byte(tag(6, VARINT))
  out.byte(span.kind)
  out.unixNanos(7, span.start)
  out.unixNanos(8, span.end)
  out.attributes(span.attributes, max)
  if (span.failed) errorStatus(out, span.error)
  out.endMessage(start)
}

function serverSpan(out: ProtoWriter, trace: RequestSpans, max: number): void {
  const attributes = [
    str(KEYS.method, trace.method),
    str(KEYS.url, trace.url),
    str(KEYS.host, trace.host),
    str(KEYS.clientIp, trace.clientIp),
    int(KEYS.status, trace.status),
    int(KEYS.bodySize, trace.bodySize),
    str(KEYS.location, trace.location),
  ]
  const { spanId, parentSpanId, name, start, end } = trace
  const failed = trace.status >= 500
  writeSpan(
    out,
    trace,
    {
      spanId,
      parentSpanId,
      name,
      kind: KIND_SERVER,
      start,
      end,
      attributes,
      failed,
      error: undefined,
    },
    max,
  )
}

function clientSpan(out: ProtoWriter, trace: RequestSpans, span: ClientSpan, max: number): void {
  const attributes = [
    str(KEYS.addr, span.addr),
    int(KEYS.status, span.status),
    bool(KEYS.reused, span.reused),
    double(KEYS.connect, span.connectTime),
    double(KEYS.processing, span.processingTime),
    double(KEYS.response, span.responseTime),
  ]
  const { spanId, name, start, end, error } = span
  // One literal of SpanFields' shape (an object spread here cost more than the whole span).
  const fields: SpanFields = {
    spanId,
    parentSpanId: trace.spanId,
    name,
    kind: KIND_CLIENT,
    start,
    end,
    attributes,
    failed: error !== undefined,
    error,
  }
  writeSpan(out, trace, fields, max)
}

/** The constant parts of one server's export requests. */
export interface ProtoEnvelope {
  /** ResourceSpans.resource (field 1) with `service.name`, ready to copy. */
  readonly resource: Buffer
  /** ScopeSpans.scope (field 1) naming the instrumentation scope, ready to copy. */
  readonly scope: Buffer
}

/** The envelope naming the resource (`service.name`) and the instrumentation scope. */
export function protoEnvelope(serviceName: string, scope: string): ProtoEnvelope {
  const out = new ProtoWriter(256 + serviceName.length * 3, 0)
  const resource = out.beginMessage(1)
  out.room(serviceName.length * 3 + 64)
  out.attribute(1, str(keyBytes('service.name'), serviceName))
  out.endMessage(resource)
  const resourceBytes = Buffer.from(out.buf.subarray(0, out.at))
  const scopeOut = new ProtoWriter(64 + scope.length * 3, 0)
  const scopeStart = scopeOut.beginMessage(1)
  scopeOut.room(scope.length * 3 + 16)
  scopeOut.string(1, scope)
  scopeOut.endMessage(scopeStart)
  return { resource: resourceBytes, scope: Buffer.from(scopeOut.buf.subarray(0, scopeOut.at)) }
}

/** Room before the spans for the two outer tags and lengths (five bytes each at most). */
const OUTER_ROOM = 12

let lastSize = 65_536

/** The export request body for `batch`, keeping at most `maxAttributes` per span. */
export function encodeProto(
  envelope: ProtoEnvelope,
  batch: readonly RequestSpans[],
  maxAttributes: number,
): Buffer {
  const head = OUTER_ROOM + envelope.resource.length + envelope.scope.length
  const out = new ProtoWriter(Math.max(lastSize, head + SPAN_ROOM), head)
  for (const trace of batch) {
    serverSpan(out, trace, maxAttributes)
    for (const span of trace.clients) clientSpan(out, trace, span, maxAttributes)
  }
  lastSize = out.at + (out.at >> 2)
  // Now that the spans' size is known, the envelope is written just in front of them.
  const { resource, scope } = envelope
  const scopeSpans = scope.length + (out.at - head)
  const resourceSpans = resource.length + 1 + varintSize(scopeSpans) + scopeSpans
  const envelopeSize =
    2 + varintSize(resourceSpans) + resource.length + varintSize(scopeSpans) + scope.length
  const first = head - envelopeSize
  const end = out.at
  out.at = first
  out.byte(tag(1, LEN))
  out.varint(resourceSpans)
  out.bytes(resource)
  out.byte(tag(2, LEN))
  out.varint(scopeSpans)
  out.bytes(scope)
  return out.buf.subarray(first, end)
}
