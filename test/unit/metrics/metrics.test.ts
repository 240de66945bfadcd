import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Metrics } from '../../../src/metrics/metrics.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

function line(text: string, prefix: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(prefix))
}

function servers(prometheusMetrics: string | undefined, locations = ['api', 'web']) {
  return [{ name: 'main', locations, prometheusMetrics }]
}

describe('Metrics', () => {
  test('records a request into the location, status class and upstream series', async () => {
    const m = new Metrics({ defaultMetrics: false })
    await m.apply(servers('/metrics'), ['backend'])
    const rec = m.recorderFor('main', 'api')
    assert.ok(rec)
    rec.started()
    const ctx = fakeContext({
      serverName: 'main',
      location: 'api',
      status: 201,
      payloadSize: 2048,
      responseSize: 10 * 1024,
      upstreamAddr: '127.0.0.1:1',
      upstreamReused: true,
      upstreamTimings: { processing: 20, response: 30 },
      connectionReused: true,
    })
    rec.finished(ctx, m.upstream('main', 'backend'))
    const text = await m.render()
    const api = 'server="main",location="api"'
    assert.equal(
      line(text, `pingap_http_requests_total{${api}}`),
      `pingap_http_requests_total{${api}} 1`,
    )
    assert.equal(
      line(text, `pingap_http_requests_current{${api}}`),
      `pingap_http_requests_current{${api}} 0`,
    )
    assert.match(text, /pingap_http_responses_codes\{server="main",location="api",code="2xx"\} 1/)
    assert.match(text, /pingap_http_received_bucket\{server="main",location="api",le="5"\} 1/)
    assert.match(text, /pingap_http_received_bucket\{server="main",location="api",le="1"\} 0/)
    assert.match(text, /pingap_http_received_bytes\{server="main",location="api"\} 2048/)
    assert.match(text, /pingap_http_sent_bucket\{server="main",location="api",le="10"\} 1/)
    assert.match(text, /pingap_http_sent_bytes\{server="main",location="api"\} 10240/)
    assert.match(text, /pingap_connection_reuses\{server="main"\} 1/)
    assert.match(text, /pingap_upstream_reuses\{server="main",upstream="backend"\} 1/)
    assert.match(
      text,
      /pingap_upstream_processing_time_bucket\{server="main",upstream="backend",le="0.025"\} 1/,
    )
    assert.match(text, /pingap_upstream_response_time_count\{server="main",upstream="backend"\} 1/)
  })

  test('an error page instead of an upstream answer counts under its error type', async () => {
    const m = new Metrics({ defaultMetrics: false })
    await m.apply(servers('/metrics'), ['backend'])
    const ctx = fakeContext({
      location: 'api',
      status: 502,
      upstreamAddr: '127.0.0.1:1',
      sentHeaders: { 'x-pingap-etype': 'ConnectRefused' },
    })
    m.recorderFor('main', 'api')?.finished(ctx, m.upstream('main', 'backend'))
    const text = await m.render()
    assert.match(
      text,
      /pingap_upstream_errors_total\{server="main",upstream="backend",error="ConnectRefused"\} 1/,
    )
    assert.match(text, /code="5xx"\} 1/)
  })

  test('a server without prometheus_metrics records nothing', async () => {
    const m = new Metrics({ defaultMetrics: false })
    await m.apply(servers(undefined), [])
    assert.equal(m.recorderFor('main', 'api'), undefined)
    await m.apply(servers('http://127.0.0.1:9/metrics/job/x?interval=1h'), [])
    assert.ok(m.recorderFor('main', 'api'))
    assert.equal(m.pullPath('main'), undefined)
    await m.close()
  })

  test('retain drops the series of removed locations and upstreams, keeps location ""', async () => {
    const m = new Metrics({ defaultMetrics: false })
    await m.apply(servers('/metrics', ['api', 'old']), ['a', 'b'])
    for (const location of ['api', 'old', '']) {
      m.recorderFor('main', location)?.finished(
        fakeContext({ location, status: 200, upstreamAddr: 'x', upstreamTimings: { response: 1 } }),
        m.upstream('main', 'b'),
      )
    }
    await m.apply(servers('/metrics', ['api']), ['a'])
    const text = await m.render()
    assert.doesNotMatch(text, /location="old"/)
    assert.doesNotMatch(text, /upstream="b"/)
    assert.match(text, /pingap_http_requests_total\{server="main",location=""\} 1/)
    assert.match(text, /pingap_http_requests_total\{server="main",location="api"\} 1/)
  })

  test('config outcomes and health flips are exported', async () => {
    const m = new Metrics({ defaultMetrics: false })
    m.configOutcome('applied', 3)
    m.configOutcome('rejected')
    m.healthChanged('up', '10.0.0.1:80', false)
    const text = await m.render()
    assert.match(text, /^pingap_config_version 3$/m)
    assert.match(text, /^pingap_config_last_reload_success 0$/m)
    assert.match(text, /pingap_config_reloads_total\{result="rejected"\} 1/)
    assert.match(
      text,
      /pingap_upstream_backend_transitions_total\{upstream="up",backend="10.0.0.1:80",state="unhealthy"\} 1/,
    )
  })

  test('upstream gauges read the source at scrape time', async () => {
    const m = new Metrics({ defaultMetrics: false })
    m.setUpstreamSource(() => [
      {
        name: 'up',
        backends: [
          { address: 'a:1', healthy: true, connected: 2, running: 1 },
          { address: 'b:1', healthy: false, connected: 1, running: 0, circuitState: 2 },
        ],
      },
    ])
    const text = await m.render()
    assert.match(text, /pingap_upstream_connections\{upstream="up"\} 3/)
    assert.match(text, /pingap_upstream_connections_current\{upstream="up"\} 1/)
    assert.match(text, /pingap_upstream_backend_healthy\{upstream="up",backend="b:1"\} 0/)
    assert.match(text, /pingap_upstream_backend_circuit_state\{upstream="up",backend="b:1"\} 2/)
    assert.doesNotMatch(
      text,
      /pingap_upstream_backend_circuit_state\{upstream="up",backend="a:1"\}/,
    )
  })

  test('an invalid prometheus_metrics changes nothing', async () => {
    const m = new Metrics({ defaultMetrics: false })
    await m.apply(servers('/metrics'), [])
    await assert.rejects(m.apply(servers('nope'), []), /servers\.main\.prometheus_metrics/)
    assert.equal(m.pullPath('main'), '/metrics')
  })

  test('2,000 locations with traffic render every series', async () => {
    const m = new Metrics({ defaultMetrics: false })
    const names = Array.from({ length: 2000 }, (_, i) => `l${i}`)
    await m.apply(servers('/metrics', names), [])
    for (const name of names) {
      m.recorderFor('main', name)?.finished(fakeContext({ location: name, status: 200 }), undefined)
    }
    const text = await m.render()
    const count = text.split('\n').filter((l) => l.startsWith('pingap_http_requests_total{')).length
    assert.equal(count, 2000)
  })
})
