/**
 * Cost of encoding a batch of exported traces (one SERVER and one CLIENT span each) into an
 * OTLP/HTTP body, protobuf and JSON, per trace. The encoder runs on the proxy's own thread, so
 * its cost is part of every traced request (issue 6). Run: `npm run build:tests && node
 * .build/bench/micro/otlp-encode.bench.js`.
 */
import { encodeJson, jsonEnvelope } from '../../src/tracing/otlp-json.ts'
import { encodeProto, protoEnvelope } from '../../src/tracing/otlp-proto.ts'
import type { RequestSpans } from '../../src/tracing/spans.ts'
import { recordRequest, tracedContext } from '../../test/helpers/request-spans.ts'
import { bestOf } from './best-of.ts'

/** A batch the size the batcher sends under load. */
const BATCH = 512

function batchOf(size: number): RequestSpans[] {
  const batch: RequestSpans[] = []
  for (let i = 0; i < size; i++) {
    const ctx = tracedContext()
    ctx.upstreamTimings.connect = 0.25
    ctx.upstreamTimings.response = 2
    batch.push(...recordRequest(ctx, [null]))
  }
  return batch
}

/** µs per trace and bytes per trace, by encoding. */
export function runOtlpEncodeBench(): Record<string, { micros: number; bytes: number }> {
  const batch = batchOf(BATCH)
  const proto = protoEnvelope('pingap:web', 'pingap-ts')
  const json = jsonEnvelope('pingap:web', 'pingap-ts')
  const encoders: Record<string, () => Buffer> = {
    protobuf: () => encodeProto(proto, batch, 16),
    json: () => encodeJson(json, batch, 16),
  }
  const results: Record<string, { micros: number; bytes: number }> = {}
  for (const [name, encode] of Object.entries(encoders)) {
    let sink = 0
    const ns = bestOf(() => (sink += encode().length), 200)
    if (sink === 0) throw new Error('unreachable: keeps the work observable')
    results[name] = { micros: ns / 1000 / BATCH, bytes: encode().length / BATCH }
  }
  return results
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, { micros, bytes }] of Object.entries(runOtlpEncodeBench())) {
    console.log(
      `${name.padEnd(9)} ${micros.toFixed(2)} µs and ${Math.round(bytes)} bytes per trace`,
    )
  }
}
