/**
 * Records one finished request into series bound once per (server, location) and per
 * (server, upstream): the request path does a couple of Map lookups and a dozen additions,
 * with no label hashing and no allocation.
 */
import type { RequestContext } from '../core/context.ts'
import type { HistogramSeries, ValueSeries } from './families.ts'
import type { requestFamilies } from './definitions.ts'

/** The request-path families (see definitions.ts). */
export type RequestFamilies = ReturnType<typeof requestFamilies>

const CODE_CLASSES = ['unknown', '1xx', '2xx', '3xx', '4xx', '5xx'] as const
const KB = 1024

function statusClass(status: number): number {
  const c = Math.floor(status / 100)
  return c >= 1 && c <= 5 ? c : 0
}

/** The series of one (server, upstream). */
export class UpstreamRecorder {
  readonly #families: RequestFamilies
  readonly #server: string
  readonly #upstream: string
  readonly #processing: HistogramSeries
  readonly #response: HistogramSeries
  readonly #reuses: ValueSeries
  #connect: HistogramSeries | undefined
  #errors: Map<string, ValueSeries> | undefined

  constructor(families: RequestFamilies, server: string, upstream: string) {
    this.#families = families
    this.#server = server
    this.#upstream = upstream
    this.#processing = families.upstreamProcessingTime.child(server, upstream)
    this.#response = families.upstreamResponseTime.child(server, upstream)
    this.#reuses = families.upstreamReuses.child(server, upstream)
  }

  /** Records the upstream side of a request that reached a backend. */
  record(ctx: RequestContext): void {
    const t = ctx.upstreamTimings
    if (t.processing !== undefined) this.#processing.observe(t.processing / 1000)
    if (t.response !== undefined) this.#response.observe(t.response / 1000)
    if (t.connect !== undefined && t.connect > 0) {
      this.#connect ??= this.#families.upstreamTcpConnectTime.child(this.#server, this.#upstream)
      this.#connect.observe(t.connect / 1000)
    }
    if (ctx.upstreamReused === true) this.#reuses.value++
    if (ctx.status >= 500 && t.response === undefined) this.#error(ctx)
  }

  /** An error page answered instead of the upstream: count it by its X-Pingap-EType. */
  #error(ctx: RequestContext): void {
    const etype = ctx.sentHeaders?.['x-pingap-etype']
    const kind = typeof etype === 'string' ? etype : String(ctx.status)
    this.#errors ??= new Map()
    let series = this.#errors.get(kind)
    if (series === undefined) {
      series = this.#families.upstreamErrors.child(this.#server, this.#upstream, kind)
      this.#errors.set(kind, series)
    }
    series.value++
  }
}

/** The series of one (server, location); `location` is '' for requests no location matched. */
export class LocationRecorder {
  readonly #families: RequestFamilies
  readonly #server: string
  readonly #location: string
  readonly #total: ValueSeries
  readonly #current: ValueSeries
  readonly #received: HistogramSeries
  readonly #receivedBytes: ValueSeries
  readonly #time: HistogramSeries
  readonly #sent: HistogramSeries
  readonly #sentBytes: ValueSeries
  readonly #reuses: ValueSeries
  readonly #codes: Array<ValueSeries | undefined> = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]

  constructor(families: RequestFamilies, server: string, location: string) {
    this.#families = families
    this.#server = server
    this.#location = location
    this.#total = families.requestsTotal.child(server, location)
    this.#current = families.requestsCurrent.child(server, location)
    this.#received = families.received.child(server, location)
    this.#receivedBytes = families.receivedBytes.child(server, location)
    this.#time = families.responseTime.child(server, location)
    this.#sent = families.sent.child(server, location)
    this.#sentBytes = families.sentBytes.child(server, location)
    this.#reuses = families.connectionReuses.child(server)
  }

  /** A request started (`pingap_http_requests_current`). */
  started(): void {
    this.#current.value++
  }

  /** A request ended; `upstream` records its upstream side when it reached a backend. */
  finished(ctx: RequestContext, upstream: UpstreamRecorder | undefined): void {
    this.#current.value--
    this.#total.value++
    this.#received.observe(ctx.payloadSize / KB)
    this.#receivedBytes.value += ctx.payloadSize
    this.#sent.observe(ctx.responseSize / KB)
    this.#sentBytes.value += ctx.responseSize
    this.#time.observe((performance.now() - ctx.startTime) / 1000)
    this.#code(ctx.status).value++
    if (ctx.connectionReused) this.#reuses.value++
    upstream?.record(ctx)
  }

  #code(status: number): ValueSeries {
    const i = statusClass(status)
    let series = this.#codes[i]
    if (series === undefined) {
      const label = CODE_CLASSES[i] ?? 'unknown'
      series = this.#families.responseCodes.child(this.#server, this.#location, label)
      this.#codes[i] = series
    }
    return series
  }
}
