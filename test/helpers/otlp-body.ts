/**
 * Reads an OTLP/HTTP trace export as a collector would: gzip or not, protobuf
 * (`application/x-protobuf`, decoded by protobufjs with the schema below, field numbers from
 * opentelemetry-proto) or JSON; either way the result has the protobuf JSON mapping's shape
 * (hex ids, int64 and fixed64 as decimal strings).
 */
import type { IncomingHttpHeaders } from 'node:http'
import { gunzipSync } from 'node:zlib'
import protobuf from 'protobufjs'

const SCHEMA = `
syntax = "proto3";
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10; Status status = 15;
  fixed32 flags = 16;
}
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; }
}
`
const ExportRequest = protobuf.parse(SCHEMA).root.lookupType('ExportTraceServiceRequest')

/** A decoded export, loosely typed: tests narrow what they read. */
export interface OtlpExport {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: Record<string, unknown> }> }
    scopeSpans: Array<{ scope: { name: string }; spans: Array<Record<string, unknown>> }>
  }>
}

const hexOf = (base64: unknown): string => Buffer.from(base64 as string, 'base64').toString('hex')

/** A protobuf export request in the JSON mapping's shape. */
export function decodeOtlpProtobuf(body: Uint8Array): OtlpExport {
  const object = ExportRequest.toObject(ExportRequest.decode(body), {
    longs: String,
    bytes: String,
  })
  const json = JSON.parse(JSON.stringify(object)) as OtlpExport
  for (const rs of json.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        for (const field of ['traceId', 'spanId', 'parentSpanId']) {
          if (span[field] !== undefined) span[field] = hexOf(span[field])
        }
      }
    }
  }
  return json
}

/** The export in a request body, by its Content-Encoding and Content-Type. */
export function decodeOtlpBody(headers: IncomingHttpHeaders, raw: Buffer): OtlpExport {
  const body = headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw
  if (headers['content-type'] === 'application/x-protobuf') return decodeOtlpProtobuf(body)
  if (headers['content-type'] === 'application/json') {
    return JSON.parse(body.toString()) as OtlpExport
  }
  throw new Error(`unexpected OTLP content-type ${String(headers['content-type'])}`)
}
