/**
 * W3C trace and span ids cut from a hex string of random bytes made in bulk: one
 * `randomFillSync` and one hex conversion serve hundreds of requests, so an id costs a string
 * slice.
 */
import { randomFillSync } from 'node:crypto'

const POOL_BYTES = 8_192
const bytes = Buffer.allocUnsafe(POOL_BYTES)
let hex = ''
let offset = 0

function take(digits: number): string {
  if (offset + digits > hex.length) {
    hex = randomFillSync(bytes).toString('hex')
    offset = 0
  }
  const id = hex.slice(offset, offset + digits)
  offset += digits
  return id
}

const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/** A new random trace id: 32 lower-case hex digits, never all zero. */
export function newTraceId(): string {
  const id = take(32)
  // An all-zero id is invalid in W3C trace context; 2^-128 odds, but never emit one.
  return id === ZERO_TRACE ? newTraceId() : id
}

/** A new random span id: 16 lower-case hex digits, never all zero. */
export function newSpanId(): string {
  const id = take(16)
  return id === ZERO_SPAN ? newSpanId() : id
}

/**
 * Whether a new trace is sampled at `ratio`, decided by its id (as OpenTelemetry's
 * TraceIdRatioBased sampler) so every hop that uses the same rule agrees.
 */
export function sampledByRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true
  if (ratio <= 0) return false
  let acc = 0
  for (let i = 0; i < 32; i += 8) acc = (acc ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0
  return acc <= Math.floor(ratio * 0xffffffff)
}
