/**
 * The metrics pingap-ts records itself, defined in one place: Pingap's names, types, labels
 * and buckets (spec §10.1) and the control-plane metrics (docs/observability.md lists them
 * all; the gauges read at scrape time are in scrape-gauges.ts). `server` is a label on every
 * per-request metric, as Pingap's per-server const label. Nothing here loads prom-client.
 */
import { CounterFamily, GaugeFamily, HistogramFamily } from './families.ts'

/** Prometheus' default buckets, which Pingap uses for its timings (seconds). */
export const TIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const
/** Pingap's buckets for request and response body sizes (KB). */
export const SIZE_BUCKETS = [1, 5, 10, 50, 100, 1000] as const
/** Compression ratio buckets (original size / compressed size). */
export const RATIO_BUCKETS = [1.5, 2, 3, 5, 8, 10] as const

const LOCATION = ['server', 'location']
const UPSTREAM = ['server', 'upstream']

/** The families written on the request path. */
export function requestFamilies() {
  return {
    requestsTotal: new CounterFamily(
      'pingap_http_requests_total',
      'Requests, per location ("" = no location matched)',
      LOCATION,
    ),
    requestsCurrent: new GaugeFamily(
      'pingap_http_requests_current',
      'Requests in progress',
      LOCATION,
    ),
    received: new HistogramFamily(
      'pingap_http_received',
      'Request body size (KB)',
      LOCATION,
      SIZE_BUCKETS,
    ),
    receivedBytes: new CounterFamily(
      'pingap_http_received_bytes',
      'Request body bytes received',
      LOCATION,
    ),
    responseCodes: new CounterFamily(
      'pingap_http_responses_codes',
      'Responses by status class (1xx … 5xx, unknown)',
      [...LOCATION, 'code'],
    ),
    responseTime: new HistogramFamily(
      'pingap_http_response_time',
      'Time from the request to the end of the response (seconds)',
      LOCATION,
      TIME_BUCKETS,
    ),
    sent: new HistogramFamily(
      'pingap_http_sent',
      'Response body size (KB)',
      LOCATION,
      SIZE_BUCKETS,
    ),
    sentBytes: new CounterFamily('pingap_http_sent_bytes', 'Response body bytes sent', LOCATION),
    connectionReuses: new CounterFamily(
      'pingap_connection_reuses',
      'Requests that arrived on a reused client connection',
      ['server'],
    ),
    tlsHandshakeTime: new HistogramFamily(
      'pingap_tls_handshake_time',
      'Client TLS handshake time (seconds)',
      ['server'],
      TIME_BUCKETS,
    ),
    upstreamTcpConnectTime: new HistogramFamily(
      'pingap_upstream_tcp_connect_time',
      'Time to connect to a backend (seconds)',
      UPSTREAM,
      TIME_BUCKETS,
    ),
    upstreamTlsHandshakeTime: new HistogramFamily(
      'pingap_upstream_tls_handshake_time',
      'TLS handshake time with a backend (seconds)',
      UPSTREAM,
      TIME_BUCKETS,
    ),
    upstreamReuses: new CounterFamily(
      'pingap_upstream_reuses',
      'Upstream requests sent on a reused connection',
      UPSTREAM,
    ),
    upstreamProcessingTime: new HistogramFamily(
      'pingap_upstream_processing_time',
      'Time from sending the request to the response head (seconds)',
      UPSTREAM,
      TIME_BUCKETS,
    ),
    upstreamResponseTime: new HistogramFamily(
      'pingap_upstream_response_time',
      'Time from sending the request to the end of the response body (seconds)',
      UPSTREAM,
      TIME_BUCKETS,
    ),
    upstreamErrors: new CounterFamily(
      'pingap_upstream_errors_total',
      'Requests that failed towards the upstream, by error type (X-Pingap-EType)',
      [...UPSTREAM, 'error'],
    ),
  }
}

/** Families that the cache and compression plugins are meant to feed (spec §10.1). */
export function pluginFamilies() {
  return {
    cacheLookupTime: new HistogramFamily(
      'pingap_cache_lookup_time',
      'Cache lookup time (seconds)',
      [],
      TIME_BUCKETS,
    ),
    cacheLockTime: new HistogramFamily(
      'pingap_cache_lock_time',
      'Cache lock wait time (seconds)',
      [],
      TIME_BUCKETS,
    ),
    cacheReading: new GaugeFamily('pingap_cache_reading', 'Cache reads in progress'),
    cacheWriting: new GaugeFamily('pingap_cache_writing', 'Cache writes in progress'),
    cacheReadingTime: new HistogramFamily(
      'pingap_cache_reading_time',
      'Cache storage read time (seconds)',
      [],
      TIME_BUCKETS,
    ),
    cacheWritingTime: new HistogramFamily(
      'pingap_cache_writing_time',
      'Cache storage write time (seconds)',
      [],
      TIME_BUCKETS,
    ),
    compressionRatio: new HistogramFamily(
      'pingap_compression_ratio',
      'Original size / compressed size of compressed responses',
      [],
      RATIO_BUCKETS,
    ),
  }
}

/** Control-plane metrics: config versions, reloads and health transitions. */
export function controlFamilies() {
  const version = new GaugeFamily(
    'pingap_config_version',
    'Number of the config version being served',
  )
  version.aggregator = 'max'
  const success = new GaugeFamily(
    'pingap_config_last_reload_success',
    '1 when the last config reload was applied (or unchanged), 0 when it was rejected',
  )
  success.aggregator = 'min'
  const time = new GaugeFamily(
    'pingap_config_last_reload_timestamp_seconds',
    'Unix time of the last config reload attempt',
  )
  time.aggregator = 'max'
  return {
    configVersion: version,
    lastReloadSuccess: success,
    lastReloadTime: time,
    reloads: new CounterFamily(
      'pingap_config_reloads_total',
      'Config reload attempts by result (applied, unchanged, rejected)',
      ['result'],
    ),
    healthTransitions: new CounterFamily(
      'pingap_upstream_backend_transitions_total',
      'Health-check verdict changes of a backend, by new state',
      ['upstream', 'backend', 'state'],
    ),
  }
}
