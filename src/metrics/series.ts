/**
 * The storage of one series: counters and gauges are one slot of a Float64Array, histograms a
 * run of slots. A recorder lays out everything one location's requests update in a single
 * array, so recording a request writes one block of memory; the families read the slots only
 * to render a scrape.
 */

/** A counter or gauge series: one slot of `data` (its own one-slot array by default). */
export class ValueSeries {
  readonly data: Float64Array
  readonly index: number

  constructor(data: Float64Array = new Float64Array(1), index = 0) {
    this.data = data
    this.index = index
  }

  get value(): number {
    return this.data[this.index] as number
  }

  set value(value: number) {
    this.data[this.index] = value
  }

  inc(by = 1): void {
    this.value += by
  }

  dec(by = 1): void {
    this.value -= by
  }

  set(value: number): void {
    this.value = value
  }
}

/** Slots a histogram with `bounds` upper bounds takes: a count per bucket and +Inf, sum, count. */
export function histogramWidth(bounds: number): number {
  return bounds + 3
}

/** Adds one observation to the histogram laid out at `offset` of `data` (see histogramWidth). */
export function observeAt(
  data: Float64Array,
  offset: number,
  bounds: readonly number[],
  value: number,
): void {
  const n = bounds.length
  let i = 0
  while (i < n && value > (bounds[i] as number)) i++
  data[offset + i] = (data[offset + i] as number) + 1
  data[offset + n + 1] = (data[offset + n + 1] as number) + value
  data[offset + n + 2] = (data[offset + n + 2] as number) + 1
}

/** A histogram series: per-bucket counts (not cumulative, the last is `+Inf`), sum and count. */
export class HistogramSeries {
  readonly #bounds: readonly number[]
  readonly #data: Float64Array
  readonly #offset: number
  /** A view of the bucket counts. */
  readonly counts: Float64Array

  constructor(
    bounds: readonly number[],
    data: Float64Array = new Float64Array(histogramWidth(bounds.length)),
    offset = 0,
  ) {
    this.#bounds = bounds
    this.#data = data
    this.#offset = offset
    this.counts = data.subarray(offset, offset + bounds.length + 1)
  }

  get sum(): number {
    return this.#data[this.#offset + this.#bounds.length + 1] as number
  }

  get count(): number {
    return this.#data[this.#offset + this.#bounds.length + 2] as number
  }

  observe(value: number): void {
    observeAt(this.#data, this.#offset, this.#bounds, value)
  }
}
