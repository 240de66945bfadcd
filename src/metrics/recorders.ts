/**
 * Records one finished request. Everything a request updates for its (server, location) lives in
 * one Float64Array, and likewise for its (server, upstream): recording is a dozen additions into
 * one or two blocks of memory at fixed offsets, with no label hashing, no allocation and no
 * pointer chasing through a dozen series objects. The families show these slots as their series
 * (`attach`) and read them only when a scrape renders.
 */
import type { RequestContext } from '../core/context.ts'
import { SIZE_BUCKETS, TIME_BUCKETS, type requestFamilies } from './definitions.ts'
import type { HistogramFamily, ValueSeries } from './families.ts'
import { histogramWidth, observeAt } from './series.ts'

/** The request-path families (see definitions.ts). */
export type RequestFamilies = ReturnType<typeof requestFamilies>

const CODE_CLASSES = ['unknown', '1xx', '2xx', '3xx', '4xx', '5xx'] as const
const KB = 1024
const SIZES: readonly number[] = SIZE_BUCKETS
const TIMES: readonly number[] = TIME_BUCKETS

// The slots of a (server, location) block.
const TOTAL = 0
const CURRENT = 1
const RECEIVED_BYTES = 2
const SENT_BYTES = 3
const CODES = 4 // one per CODE_CLASSES entry
const RECEIVED = CODES + CODE_CLASSES.length
const SENT = RECEIVED + histogramWidth(SIZES.length)
const TIME = SENT + histogramWidth(SIZES.length)
const LOCATION_SLOTS = TIME + histogramWidth(TIMES.length)

// The slots of a (server, upstream) block.
const PROCESSING = 0
const RESPONSE = PROCESSING + histogramWidth(TIMES.length)
const CONNECT = RESPONSE + histogramWidth(TIMES.length)
const REUSES = CONNECT + histogramWidth(TIMES.length)
const UPSTREAM_SLOTS = REUSES + 1

/** The layout above assumes the families' buckets; a change in definitions.ts must show here. */
function checkBuckets(family: HistogramFamily, expected: readonly number[]): void {
  const same =
    family.buckets.length === expected.length && family.buckets.every((b, i) => b === expected[i])
  if (!same) throw new Error(`${family.name}: buckets differ from the recorder's layout`)
}

function statusClass(status: number): number {
  const c = Math.floor(status / 100)
  return c >= 1 && c <= 5 ? c : 0
}

/** The series of one (server, upstream). */
export class UpstreamRecorder {
  readonly #families: RequestFamilies
  readonly #labels: readonly string[]
  readonly #data = new Float64Array(UPSTREAM_SLOTS)
  #connectShown = false
  #errors: Map<string, ValueSeries> | undefined

  constructor(families: RequestFamilies, server: string, upstream: string) {
    checkBuckets(families.upstreamProcessingTime, TIMES)
    checkBuckets(families.upstreamResponseTime, TIMES)
    checkBuckets(families.upstreamTcpConnectTime, TIMES)
    this.#families = families
    this.#labels = [server, upstream]
    families.upstreamProcessingTime.attach(this.#labels, this.#data, PROCESSING)
    families.upstreamResponseTime.attach(this.#labels, this.#data, RESPONSE)
    families.upstreamReuses.attach(this.#labels, this.#data, REUSES)
  }

  /** Records the upstream side of a request that reached a backend. */
  record(ctx: RequestContext): void {
    const d = this.#data
    const t = ctx.upstreamTimings
    if (t.processing !== undefined) observeAt(d, PROCESSING, TIMES, t.processing / 1000)
    if (t.response !== undefined) observeAt(d, RESPONSE, TIMES, t.response / 1000)
    if (t.connect !== undefined && t.connect > 0) {
      // Shown only once a connection was made, as a series that saw no value is not listed.
      if (!this.#connectShown) {
        this.#families.upstreamTcpConnectTime.attach(this.#labels, d, CONNECT)
        this.#connectShown = true
      }
      observeAt(d, CONNECT, TIMES, t.connect / 1000)
    }
    if (ctx.upstreamReused === true) d[REUSES] = (d[REUSES] as number) + 1
    if (ctx.status >= 500 && t.response === undefined) this.#error(ctx)
  }

  /** An error page answered instead of the upstream: count it by its X-Pingap-EType. */
  #error(ctx: RequestContext): void {
    const etype = ctx.sentHeaders?.['x-pingap-etype']
    const kind = typeof etype === 'string' ? etype : String(ctx.status)
    this.#errors ??= new Map()
    let series = this.#errors.get(kind)
    if (series === undefined) {
      const [server = '', upstream = ''] = this.#labels
      series = this.#families.upstreamErrors.child(server, upstream, kind)
      this.#errors.set(kind, series)
    }
    series.value++
  }
}

/** The series of one (server, location); `location` is '' for requests no location matched. */
export class LocationRecorder {
  readonly #families: RequestFamilies
  readonly #labels: readonly string[]
  readonly #data = new Float64Array(LOCATION_SLOTS)
  /** Per server, so not in this location's block. */
  readonly #reuses: ValueSeries
  /** Bit i set: the CODE_CLASSES[i] series is shown (a class never seen is not listed). */
  #codesShown = 0

  constructor(families: RequestFamilies, server: string, location: string) {
    checkBuckets(families.received, SIZES)
    checkBuckets(families.sent, SIZES)
    checkBuckets(families.responseTime, TIMES)
    this.#families = families
    this.#labels = [server, location]
    const labels = this.#labels
    const d = this.#data
    // Attached in the order the series used to be created: the exposition lists them so.
    families.requestsTotal.attach(labels, d, TOTAL)
    families.requestsCurrent.attach(labels, d, CURRENT)
    families.received.attach(labels, d, RECEIVED)
    families.receivedBytes.attach(labels, d, RECEIVED_BYTES)
    families.responseTime.attach(labels, d, TIME)
    families.sent.attach(labels, d, SENT)
    families.sentBytes.attach(labels, d, SENT_BYTES)
    this.#reuses = families.connectionReuses.child(server)
  }

  /** A request started (`pingap_http_requests_current`). */
  started(): void {
    const d = this.#data
    d[CURRENT] = (d[CURRENT] as number) + 1
  }

  /** A request ended; `upstream` records its upstream side when it reached a backend. */
  finished(ctx: RequestContext, upstream: UpstreamRecorder | undefined): void {
    const d = this.#data
    const payload = ctx.payloadSize
    const size = ctx.responseSize
    d[CURRENT] = (d[CURRENT] as number) - 1
    d[TOTAL] = (d[TOTAL] as number) + 1
    observeAt(d, RECEIVED, SIZES, payload / KB)
    d[RECEIVED_BYTES] = (d[RECEIVED_BYTES] as number) + payload
    observeAt(d, SENT, SIZES, size / KB)
    d[SENT_BYTES] = (d[SENT_BYTES] as number) + size
    observeAt(d, TIME, TIMES, (performance.now() - ctx.startTime) / 1000)
    const c = statusClass(ctx.status)
    d[CODES + c] = (d[CODES + c] as number) + 1
    if ((this.#codesShown & (1 << c)) === 0) this.#showCode(c)
    if (ctx.connectionReused) this.#reuses.value++
    upstream?.record(ctx)
  }

  #showCode(c: number): void {
    this.#codesShown |= 1 << c
    const [server = '', location = ''] = this.#labels
    const label = CODE_CLASSES[c] ?? 'unknown'
    this.#families.responseCodes.attach([server, location, label], this.#data, CODES + c)
  }
}
