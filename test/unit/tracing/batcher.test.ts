import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Batcher, type BatchExporter, type BatchOptions } from '../../../src/tracing/batcher.ts'
import { RequestSpans } from '../../../src/tracing/spans.ts'
import { eventually } from '../../helpers/eventually.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

/** An exporter whose exports finish when the test says so. */
function exporter() {
  const batches: RequestSpans[][] = []
  const pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = []
  let inFlight = 0
  let maxInFlight = 0
  let shutdown = false
  const impl: BatchExporter = {
    export(batch) {
      batches.push([...batch])
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject })).finally(
        () => inFlight--,
      )
    },
    shutdown() {
      shutdown = true
      return Promise.resolve()
    },
  }
  return {
    impl,
    batches,
    /** Completes the oldest export still running. */
    settle(error?: Error) {
      const next = pending.shift()
      assert.ok(next, 'no export is running')
      if (error === undefined) next.resolve()
      else next.reject(error)
    },
    get maxInFlight() {
      return maxInFlight
    },
    get shutdown() {
      return shutdown
    },
  }
}

/** A finished request with `clients` CLIENT spans (1 + clients spans in all). */
function request(clients = 1): RequestSpans {
  const settings = { sampleRatio: 1, jaeger: false, sink: { add: () => undefined } }
  const spans = new RequestSpans(settings, fakeContext())
  for (let i = 0; i < clients; i++) {
    spans.upstreamStart('app', '10.0.0.1:80', {})
    spans.upstreamEnd()
  }
  return spans
}

const HOUR = 3_600_000
const options = (o: Partial<BatchOptions>): BatchOptions => ({
  maxQueueSize: 100,
  maxExportBatchSize: 10,
  scheduledDelayMs: HOUR,
  ...o,
})

describe('Batcher', () => {
  test('a full batch leaves at once; the rest waits; one export runs at a time', async () => {
    const e = exporter()
    const b = new Batcher(e.impl, options({}))
    for (let i = 0; i < 12; i++) b.add(request()) // 24 spans: two full batches and 4 spans
    await eventually(() => assert.equal(e.batches.length, 1))
    assert.equal(e.batches[0]!.length, 5)
    e.settle()
    await eventually(() => assert.equal(e.batches.length, 2))
    e.settle()
    // 4 spans are below the batch size: they wait for the (hour-long) delay.
    await new Promise((r) => setImmediate(r))
    assert.equal(e.batches.length, 2)
    assert.equal(e.maxInFlight, 1)
    const done = b.shutdown()
    await eventually(() => assert.equal(e.batches.length, 3))
    assert.equal(e.batches[2]!.length, 2)
    e.settle()
    await done
    assert.equal(e.shutdown, true)
  })

  test('scheduled_delay exports a partial batch', async () => {
    const e = exporter()
    const b = new Batcher(e.impl, options({ scheduledDelayMs: 20 }))
    b.add(request())
    await eventually(() => assert.equal(e.batches.length, 1), 5_000, 5)
    e.settle()
    await b.shutdown()
  })

  test('past max_queue_size spans are dropped and counted, and a failed export is not fatal', async () => {
    const e = exporter()
    const b = new Batcher(e.impl, options({ maxQueueSize: 6, maxExportBatchSize: 4 }))
    for (let i = 0; i < 5; i++) b.add(request()) // 10 spans, room for 6
    assert.equal(b.dropped, 4)
    await eventually(() => assert.equal(e.batches.length, 1))
    e.settle(new Error('collector down'))
    const done = b.shutdown()
    await eventually(() => assert.equal(e.batches.length, 2))
    e.settle()
    await done
    assert.deepEqual(
      e.batches.map((batch) => batch.length),
      [2, 1],
    )
  })

  test('a scheduled_delay beyond what a Node timer holds is capped, not shortened to 1 ms', async () => {
    const e = exporter()
    const b = new Batcher(e.impl, options({ scheduledDelayMs: 30 * 24 * HOUR }))
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      b.add(request())
      // Node warns (TimeoutOverflowWarning) on the next tick when it shortens a timer to 1 ms.
      await new Promise((r) => setImmediate(r))
      assert.equal(e.batches.length, 0)
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      )
    } finally {
      process.off('warning', onWarning)
      const done = b.shutdown()
      await eventually(() => assert.equal(e.batches.length, 1))
      e.settle()
      await done
    }
  })

  test('after shutdown nothing is queued', async () => {
    const e = exporter()
    const b = new Batcher(e.impl, options({}))
    await b.shutdown()
    b.add(request(0))
    assert.equal(b.dropped, 1)
    assert.equal(e.batches.length, 0)
  })
})
