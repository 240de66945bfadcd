import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { requestFamilies } from '../../../src/metrics/definitions.ts'
import type { AnyFamily } from '../../../src/metrics/families.ts'
import { LocationRecorder, UpstreamRecorder } from '../../../src/metrics/recorders.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

function render(family: AnyFamily): string[] {
  const out: string[] = []
  family.render(out)
  return out.slice(2) // without HELP and TYPE
}

describe('recorders', () => {
  test('a location shows its series at once and a status class once it is seen', () => {
    const f = requestFamilies()
    const rec = new LocationRecorder(f, 'web', 'api')
    assert.deepEqual(render(f.requestsTotal), [
      'pingap_http_requests_total{server="web",location="api"} 0',
    ])
    assert.deepEqual(render(f.responseCodes), [])
    rec.started()
    rec.started()
    rec.finished(fakeContext({ status: 503, responseSize: 2048, payloadSize: 10 }), undefined)
    rec.finished(fakeContext({ status: 200 }), undefined)
    rec.started()
    rec.finished(fakeContext({ status: 204, connectionReused: true }), undefined)
    const labels = 'server="web",location="api"'
    assert.deepEqual(render(f.requestsTotal), [`pingap_http_requests_total{${labels}} 3`])
    assert.deepEqual(render(f.requestsCurrent), [`pingap_http_requests_current{${labels}} 0`])
    assert.deepEqual(render(f.responseCodes), [
      `pingap_http_responses_codes{${labels},code="5xx"} 1`,
      `pingap_http_responses_codes{${labels},code="2xx"} 2`,
    ])
    assert.deepEqual(render(f.sentBytes), [`pingap_http_sent_bytes{${labels}} 2048`])
    assert.deepEqual(render(f.receivedBytes), [`pingap_http_received_bytes{${labels}} 10`])
    assert.deepEqual(render(f.sent), [
      `pingap_http_sent_bucket{${labels},le="1"} 2`,
      `pingap_http_sent_bucket{${labels},le="5"} 3`,
      `pingap_http_sent_bucket{${labels},le="10"} 3`,
      `pingap_http_sent_bucket{${labels},le="50"} 3`,
      `pingap_http_sent_bucket{${labels},le="100"} 3`,
      `pingap_http_sent_bucket{${labels},le="1000"} 3`,
      `pingap_http_sent_bucket{${labels},le="+Inf"} 3`,
      `pingap_http_sent_sum{${labels}} 2`,
      `pingap_http_sent_count{${labels}} 3`,
    ])
    assert.deepEqual(render(f.connectionReuses), ['pingap_connection_reuses{server="web"} 1'])
    assert.match(render(f.responseTime).at(-1) ?? '', /_count\{server="web",location="api"\} 3$/)
  })

  test('two locations of one server keep separate blocks and share the reuse counter', () => {
    const f = requestFamilies()
    const a = new LocationRecorder(f, 'web', 'a')
    const b = new LocationRecorder(f, 'web', 'b')
    a.finished(fakeContext({ status: 200, connectionReused: true }), undefined)
    b.finished(fakeContext({ status: 200, connectionReused: true }), undefined)
    b.finished(fakeContext({ status: 200 }), undefined)
    assert.deepEqual(render(f.requestsTotal), [
      'pingap_http_requests_total{server="web",location="a"} 1',
      'pingap_http_requests_total{server="web",location="b"} 2',
    ])
    assert.deepEqual(render(f.connectionReuses), ['pingap_connection_reuses{server="web"} 2'])
  })

  test('an upstream shows its connect time only once a connection was made', () => {
    const f = requestFamilies()
    const up = new UpstreamRecorder(f, 'web', 'app')
    up.record(fakeContext({ status: 200, upstreamTimings: { processing: 2, response: 3 } }))
    assert.equal(render(f.upstreamTcpConnectTime).length, 0)
    up.record(fakeContext({ status: 200, upstreamReused: true, upstreamTimings: { connect: 0 } }))
    assert.equal(render(f.upstreamTcpConnectTime).length, 0)
    up.record(fakeContext({ status: 200, upstreamTimings: { connect: 30 } }))
    const labels = 'server="web",upstream="app"'
    assert.deepEqual(render(f.upstreamTcpConnectTime).slice(-2), [
      `pingap_upstream_tcp_connect_time_sum{${labels}} 0.03`,
      `pingap_upstream_tcp_connect_time_count{${labels}} 1`,
    ])
    assert.deepEqual(render(f.upstreamReuses), [`pingap_upstream_reuses{${labels}} 1`])
    assert.deepEqual(render(f.upstreamProcessingTime).slice(-1), [
      `pingap_upstream_processing_time_count{${labels}} 1`,
    ])
  })

  test("a family's JSON (cluster aggregation) reads the recorder's slots", async () => {
    const f = requestFamilies()
    const rec = new LocationRecorder(f, 'web', 'api')
    rec.finished(fakeContext({ status: 404, payloadSize: 3 * 1024 }), undefined)
    const received = await f.received.get()
    const sample = (name: string, le?: number | string) =>
      received.values.find((v) => v.metricName === name && v.labels['le'] === le)?.value
    assert.equal(sample('pingap_http_received_bucket', 1), 0)
    assert.equal(sample('pingap_http_received_bucket', 5), 1)
    assert.equal(sample('pingap_http_received_sum'), 3)
    assert.equal(sample('pingap_http_received_count'), 1)
    const codes = await f.responseCodes.get()
    assert.deepEqual(codes.values, [
      { value: 1, labels: { server: 'web', location: 'api', code: '4xx' } },
    ])
  })

  test('a new recorder for the same labels replaces the series of a dropped one', () => {
    const f = requestFamilies()
    new LocationRecorder(f, 'web', 'api').finished(fakeContext({ status: 200 }), undefined)
    const again = new LocationRecorder(f, 'web', 'api')
    again.finished(fakeContext({ status: 200 }), undefined)
    again.finished(fakeContext({ status: 200 }), undefined)
    assert.deepEqual(render(f.requestsTotal), [
      'pingap_http_requests_total{server="web",location="api"} 2',
    ])
  })
})
