/**
 * Parses a server's `otlp_exporter` value (spec §10.2): an OTLP endpoint URL whose query
 * string carries the exporter options. The protocol is chosen by the URL (decisions §7): a URL
 * with a path (`http://collector:4318/v1/traces`) is OTLP/HTTP, a bare origin
 * (`http://collector:4317`, Pingap's form) is OTLP/gRPC; `protocol` overrides with
 * OpenTelemetry's names: `grpc`, `http/protobuf` (also `http`, the default encoding) or
 * `http/json`.
 */
import { parseDuration } from '../core/duration.ts'
import { ConfigError } from '../core/errors.ts'

export interface OtlpOptions {
  readonly protocol: 'grpc' | 'http'
  /** The body of OTLP/HTTP exports (gRPC is always protobuf). */
  readonly encoding: 'protobuf' | 'json'
  /** The endpoint without the option parameters. */
  readonly url: string
  readonly timeoutMs: number
  readonly maxQueueSize: number
  readonly scheduledDelayMs: number
  readonly maxExportBatchSize: number
  readonly exportTimeoutMs: number
  readonly maxAttributes: number
  readonly maxEvents: number
  /** Also read and write Jaeger's `uber-trace-id`. */
  readonly jaeger: boolean
  /** Also propagate W3C `baggage`. */
  readonly baggage: boolean
  readonly compression: 'gzip' | 'none'
  /** Share of new traces sampled (1 = all, Pingap's AlwaysOn); parents' decisions are kept. */
  readonly sampleRatio: number
}

const DEFAULTS = {
  timeoutMs: 3_000,
  maxQueueSize: 2_048,
  scheduledDelayMs: 5_000,
  maxExportBatchSize: 512,
  exportTimeoutMs: 30_000,
  maxAttributes: 16,
  maxEvents: 16,
}

const DURATIONS = {
  timeout: 'timeoutMs',
  scheduled_delay: 'scheduledDelayMs',
  max_export_timeout: 'exportTimeoutMs',
} as const

const COUNTS = {
  max_queue_size: 'maxQueueSize',
  max_export_batch_size: 'maxExportBatchSize',
  max_attributes: 'maxAttributes',
  max_events: 'maxEvents',
} as const

const FLAGS = ['jaeger', 'baggage'] as const
const OTHER = ['compression', 'protocol', 'sample_ratio'] as const
const KNOWN = [...Object.keys(DURATIONS), ...Object.keys(COUNTS), ...FLAGS, ...OTHER]

function invalid(path: string, message: string): ConfigError {
  return new ConfigError('PGT_ERR_CONFIG_INVALID', path, [message])
}

function flag(value: string): boolean {
  return !['false', '0', 'no', 'off'].includes(value.toLowerCase())
}

type Transport = Pick<OtlpOptions, 'protocol' | 'encoding'>

const PROTOCOLS: Readonly<Record<string, Transport>> = {
  grpc: { protocol: 'grpc', encoding: 'protobuf' },
  http: { protocol: 'http', encoding: 'protobuf' },
  'http/protobuf': { protocol: 'http', encoding: 'protobuf' },
  'http/json': { protocol: 'http', encoding: 'json' },
}

function protocolOf(url: URL, explicit: string | null, path: string): Transport {
  if (explicit === null) {
    return PROTOCOLS[url.pathname === '/' || url.pathname === '' ? 'grpc' : 'http']!
  }
  const transport = PROTOCOLS[explicit.toLowerCase()]
  if (transport !== undefined) return transport
  const known = Object.keys(PROTOCOLS).join('", "')
  throw invalid(path, `protocol must be one of "${known}", got "${explicit}"`)
}

function parseUrl(text: string, path: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw invalid(path, `invalid OTLP endpoint URL "${text}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(path, 'the OTLP endpoint must be http:// or https://')
  }
  for (const key of url.searchParams.keys()) {
    if (!KNOWN.includes(key)) {
      throw invalid(path, `unknown otlp_exporter option "${key}" (known: ${KNOWN.join(', ')})`)
    }
  }
  return url
}

type Numbers = Record<keyof typeof DEFAULTS, number>

function numbers(params: URLSearchParams, path: string): Numbers {
  const out: Numbers = { ...DEFAULTS }
  for (const [key, field] of Object.entries(DURATIONS)) {
    const raw = params.get(key)
    if (raw === null) continue
    const ms = parseDuration(raw)
    if (ms === undefined || ms <= 0) throw invalid(path, `${key} must be a duration, got "${raw}"`)
    out[field] = ms
  }
  for (const [key, field] of Object.entries(COUNTS)) {
    const raw = params.get(key)
    if (raw === null) continue
    const n = Number(raw)
    if (!Number.isInteger(n) || n <= 0) throw invalid(path, `${key} must be a positive integer`)
    out[field] = n
  }
  return out
}

function sampleRatio(params: URLSearchParams, path: string): number {
  const text = params.get('sample_ratio')
  const ratio = text === null ? 1 : Number(text)
  if (!(ratio >= 0 && ratio <= 1)) {
    throw invalid(path, `sample_ratio must be between 0 and 1, got "${text}"`)
  }
  return ratio
}

function endpoint(url: URL, protocol: 'grpc' | 'http'): string {
  if (protocol === 'grpc') return url.origin
  const out = new URL(url.origin)
  out.pathname = url.pathname === '/' ? '/v1/traces' : url.pathname
  return out.toString()
}

/** Parses `value`; undefined when unset or empty. Throws ConfigError naming `path`. */
export function parseOtlpExporter(
  value: string | undefined,
  path: string,
): OtlpOptions | undefined {
  const text = value?.trim() ?? ''
  if (text === '') return undefined
  const url = parseUrl(text, path)
  const params = url.searchParams
  const transport = protocolOf(url, params.get('protocol'), path)
  const has = (name: string): boolean => params.has(name) && flag(params.get(name) ?? '')
  return {
    ...transport,
    url: endpoint(url, transport.protocol),
    ...numbers(params, path),
    jaeger: has('jaeger'),
    baggage: has('baggage'),
    compression: params.get('compression')?.toLowerCase() === 'none' ? 'none' : 'gzip',
    sampleRatio: sampleRatio(params, path),
  }
}
