import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  HistogramSeries,
  ValueSeries,
  histogramWidth,
  observeAt,
} from '../../../src/metrics/series.ts'

const BOUNDS = [1, 5, 10]

describe('series storage', () => {
  // value → index of the bucket it lands in (3 = +Inf): a value equal to a bound is in it.
  const cases: Array<[number, number]> = [
    [0, 0],
    [1, 0],
    [1.0001, 1],
    [5, 1],
    [9.9, 2],
    [10, 2],
    [10.5, 3],
    [Infinity, 3],
  ]
  for (const [value, bucket] of cases) {
    test(`observeAt puts ${value} in bucket ${bucket} and adds it to sum and count`, () => {
      const data = new Float64Array(histogramWidth(BOUNDS.length))
      observeAt(data, 0, BOUNDS, value)
      const expected = [0, 0, 0, 0, value, 1]
      expected[bucket] = 1
      assert.deepEqual([...data], expected)
    })
  }

  test('a histogram at an offset writes its own slots only', () => {
    const width = histogramWidth(BOUNDS.length)
    const data = new Float64Array(2 + width + 2)
    const h = new HistogramSeries(BOUNDS, data, 2)
    h.observe(3)
    h.observe(30)
    assert.deepEqual([...h.counts], [0, 1, 0, 1])
    assert.equal(h.sum, 33)
    assert.equal(h.count, 2)
    assert.deepEqual([...data.subarray(0, 2)], [0, 0])
    assert.deepEqual([...data.subarray(2 + width)], [0, 0])
  })

  test('a value series reads and writes one slot of a shared array', () => {
    const data = new Float64Array(3)
    const s = new ValueSeries(data, 1)
    s.inc()
    s.inc(4)
    s.dec()
    assert.equal(s.value, 4)
    data[1] = 9
    assert.equal(s.value, 9)
    s.set(2)
    assert.deepEqual([...data], [0, 2, 0])
  })

  test('a series made without storage owns its own', () => {
    const a = new ValueSeries()
    const b = new ValueSeries()
    a.inc()
    assert.equal(b.value, 0)
    const h = new HistogramSeries(BOUNDS)
    h.observe(1)
    assert.deepEqual([...h.counts], [1, 0, 0, 0])
  })
})
