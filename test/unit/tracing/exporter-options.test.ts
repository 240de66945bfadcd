import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { parseOtlpExporter } from '../../../src/tracing/exporter-options.ts'

const PATH = 'servers.web.otlp_exporter'

describe('parseOtlpExporter', () => {
  test('unset or empty is undefined', () => {
    assert.equal(parseOtlpExporter(undefined, PATH), undefined)
    assert.equal(parseOtlpExporter(' ', PATH), undefined)
  })

  test("Pingap's form is OTLP/gRPC with Pingap's defaults", () => {
    assert.deepEqual(parseOtlpExporter('http://collector:4317', PATH), {
      protocol: 'grpc',
      encoding: 'protobuf',
      url: 'http://collector:4317',
      timeoutMs: 3000,
      maxQueueSize: 2048,
      scheduledDelayMs: 5000,
      maxExportBatchSize: 512,
      exportTimeoutMs: 30000,
      maxAttributes: 16,
      maxEvents: 16,
      jaeger: false,
      baggage: false,
      compression: 'gzip',
      sampleRatio: 1,
    })
  })

  const cases: Array<[string, Record<string, unknown>]> = [
    [
      'http://c:4318/v1/traces',
      { protocol: 'http', encoding: 'protobuf', url: 'http://c:4318/v1/traces' },
    ],
    ['http://c:4318?protocol=http', { protocol: 'http', url: 'http://c:4318/v1/traces' }],
    ['http://c:4318/t?protocol=http/protobuf', { protocol: 'http', encoding: 'protobuf' }],
    ['http://c:4318/t?protocol=HTTP/JSON', { protocol: 'http', encoding: 'json' }],
    ['http://c:4317/x?protocol=grpc', { protocol: 'grpc', url: 'http://c:4317' }],
    [
      'http://c:4317?timeout=1s&max_queue_size=10&scheduled_delay=200ms&max_export_batch_size=5',
      { timeoutMs: 1000, maxQueueSize: 10, scheduledDelayMs: 200, maxExportBatchSize: 5 },
    ],
    [
      'http://c:4317?max_attributes=4&max_events=2&max_export_timeout=5s',
      { maxAttributes: 4, maxEvents: 2, exportTimeoutMs: 5000 },
    ],
    ['http://c:4317?jaeger&baggage=true', { jaeger: true, baggage: true }],
    ['http://c:4317?jaeger=false', { jaeger: false }],
    ['http://c:4317?compression=zstd', { compression: 'gzip' }],
    ['http://c:4317?compression=none', { compression: 'none' }],
    ['http://c:4317?sample_ratio=0.25', { sampleRatio: 0.25 }],
  ]
  for (const [input, expected] of cases) {
    test(`reads ${input}`, () => {
      const got = parseOtlpExporter(input, PATH) as unknown as Record<string, unknown>
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(got[key], value, key)
    })
  }

  const invalid: Array<[string, RegExp]> = [
    ['not a url', /invalid OTLP endpoint/],
    ['grpc://c:4317', /must be http/],
    ['http://c:4317?timeout=soon', /timeout must be a duration/],
    ['http://c:4317?max_queue_size=-1', /max_queue_size must be a positive integer/],
    ['http://c:4317?sample_ratio=2', /sample_ratio/],
    ['http://c:4317?protocol=udp', /protocol must be/],
    ['http://c:4317?timeuot=1s', /unknown otlp_exporter option "timeuot"/],
  ]
  for (const [input, message] of invalid) {
    test(`rejects ${input}`, () => {
      assert.throws(
        () => parseOtlpExporter(input, PATH),
        (err: unknown) =>
          err instanceof ConfigError && err.path === PATH && message.test(err.message),
      )
    })
  }
})
