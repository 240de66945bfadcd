import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MetricsRequests } from '../../../src/cluster/metrics-requests.ts'

test('a request resolves with the text of the reply that carries its id', async () => {
  const asked: number[] = []
  const requests = new MetricsRequests((id) => asked.push(id))
  const first = requests.request()
  const second = requests.request()
  assert.equal(asked.length, 2)
  requests.settle({ id: asked[1]!, text: 'b 2\n' })
  requests.settle({ id: asked[0]!, text: 'a 1\n' })
  assert.equal(await first, 'a 1\n')
  assert.equal(await second, 'b 2\n')
  requests.settle({ id: asked[0]!, text: 'late' }) // already settled: ignored
})

test('an error reply rejects, and no reply rejects at the deadline', async () => {
  const asked: number[] = []
  const requests = new MetricsRequests((id) => asked.push(id), 50)
  const failed = requests.request()
  requests.settle({ id: asked[0]!, error: 'aggregation failed' })
  await assert.rejects(failed, /aggregation failed/)
  await assert.rejects(requests.request(), /no metrics from the primary within 50 ms/)
})
