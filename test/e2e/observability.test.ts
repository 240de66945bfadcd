/**
 * Prometheus metrics against the real binary: a scrape after traffic shows the counters and
 * histograms of a matched location, an unmatched request, an upstream error and a health
 * transition; a second server pushes to a Pushgateway-compatible receiver started here.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { tables } from '../helpers/spec.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

interface Pushed {
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

async function pushReceiver() {
  const pushes: Pushed[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      pushes.push({ url: req.url ?? '', headers: req.headers, body })
      res.statusCode = 202
      res.end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return { pushes, port, close: () => new Promise<void>((r) => server.close(() => r())) }
}

/** The value of the sample `name{labels}` in a scrape, or undefined when absent. */
function sample(text: string, name: string, labels: string): number | undefined {
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `
  const line = text.split('\n').find((l) => l.startsWith(prefix))
  return line === undefined ? undefined : Number(line.slice(prefix.length))
}

describe('Prometheus metrics', () => {
  let pingap: Pingap
  let web: string
  let good: TestUpstream
  let flappy: TestUpstream
  let steady: TestUpstream
  let rude: TestUpstream
  let receiver: Awaited<ReturnType<typeof pushReceiver>>

  before(async () => {
    good = await startUpstream(undefined, 'good')
    flappy = await startUpstream(undefined, 'flappy')
    steady = await startUpstream(undefined, 'steady')
    // Accepts connections (so health checks pass) and resets every request: a 502.
    rude = await startUpstream((req) => req.socket.destroy(), 'rude')
    receiver = await pushReceiver()
    // Two servers on "127.0.0.1:0" would share one listener: give each its own port.
    const [webPort, pusherPort] = [await closedPort(), await closedPort()]
    pingap = await startPingap(
      {
        'pingap.toml': [
          tables('upstreams', {
            good: { addrs: [good.addr] },
            dead: { addrs: [rude.addr] },
            checked: {
              addrs: [flappy.addr, steady.addr],
              health_check: 'tcp://check?check_frequency=200ms&failure=1',
            },
          }),
          tables('locations', {
            api: { path: '/api', upstream: 'good' },
            broken: { path: '/broken', upstream: 'dead' },
            checked: { path: '/checked', upstream: 'checked' },
            pushed: { path: '/', upstream: 'good' },
          }),
          tables('servers', {
            web: {
              addr: `127.0.0.1:${webPort}`,
              locations: ['api', 'broken', 'checked'],
              prometheus_metrics: '/metrics',
            },
            pusher: {
              addr: `127.0.0.1:${pusherPort}`,
              locations: ['pushed'],
              prometheus_metrics: `http://job:secret@127.0.0.1:${receiver.port}/metrics/job/pingap?interval=1s`,
            },
          }),
        ].join('\n'),
      },
      { waitFor: ['web', 'pusher'] },
    )
    web = pingap.servers.get('web')!
  })

  after(async () => {
    await pingap.stop()
    await Promise.all([good.close(), flappy.close(), steady.close(), rude.close()])
    await receiver.close()
  })

  test('a matched location, an unmatched request and an upstream error are counted', async () => {
    assert.equal((await request(web, '/api/one')).status, 200)
    assert.equal(
      (await request(web, '/api/two', { method: 'POST', body: 'x'.repeat(3000) })).status,
      200,
    )
    assert.equal((await request(web, '/nowhere')).status, 404)
    const broken = await request(web, '/broken')
    assert.equal(broken.status, 502)

    const scrape = await request(web, '/metrics')
    assert.equal(scrape.status, 200)
    assert.match(String(scrape.headers['content-type']), /^text\/plain; version=0\.0\.4/)
    const text = scrape.body
    const api = 'server="web",location="api"'
    assert.equal(sample(text, 'pingap_http_requests_total', api), 2)
    assert.equal(sample(text, 'pingap_http_requests_current', api), 0)
    assert.equal(sample(text, 'pingap_http_responses_codes', `${api},code="2xx"`), 2)
    assert.equal(sample(text, 'pingap_http_response_time_count', api), 2)
    assert.equal(sample(text, 'pingap_http_response_time_bucket', `${api},le="+Inf"`), 2)
    assert.equal(sample(text, 'pingap_http_received_bytes', api), 3000)
    assert.equal(sample(text, 'pingap_http_received_bucket', `${api},le="1"`), 1)
    assert.equal(sample(text, 'pingap_http_received_bucket', `${api},le="5"`), 2)
    assert.ok((sample(text, 'pingap_http_sent_bytes', api) ?? 0) > 0)
    assert.equal(
      sample(text, 'pingap_upstream_response_time_count', 'server="web",upstream="good"'),
      2,
    )

    const none = 'server="web",location=""'
    assert.equal(sample(text, 'pingap_http_requests_total', none), 1)
    assert.equal(sample(text, 'pingap_http_responses_codes', `${none},code="4xx"`), 1)

    const br = 'server="web",location="broken"'
    assert.equal(sample(text, 'pingap_http_responses_codes', `${br},code="5xx"`), 1)
    assert.equal(
      sample(
        text,
        'pingap_upstream_errors_total',
        `server="web",upstream="dead",error="${String(broken.headers['x-pingap-etype'])}"`,
      ),
      1,
    )
    // The scrape itself is answered before routing and is not counted.
    assert.equal(text.includes('location="metrics"'), false)
    // Node's default metrics are there too.
    assert.match(text, /^nodejs_eventloop_lag_seconds /m)
    assert.match(text, /^pingap_config_version 1$/m)
    assert.match(text, /^pingap_config_last_reload_success 1$/m)
  })

  test('a backend that dies shows as a health transition', async () => {
    const backend = `upstream="checked",backend="${flappy.addr}"`
    const first = (await request(web, '/metrics')).body
    assert.equal(sample(first, 'pingap_upstream_backend_healthy', backend), 1)
    await flappy.close()
    const text = await eventually(async () => {
      const body = (await request(web, '/metrics')).body
      assert.equal(sample(body, 'pingap_upstream_backend_healthy', backend), 0)
      return body
    }, 10_000)
    assert.equal(
      sample(text, 'pingap_upstream_backend_transitions_total', `${backend},state="unhealthy"`),
      1,
    )
    assert.equal(
      sample(
        text,
        'pingap_upstream_backend_healthy',
        `upstream="checked",backend="${steady.addr}"`,
      ),
      1,
    )
  })

  test('the other server pushes its metrics with basic auth on its interval', async () => {
    const pusher = pingap.servers.get('pusher')!
    assert.equal((await request(pusher, '/hello')).status, 200)
    const push = await eventually(() => {
      const found = receiver.pushes.find((p) =>
        p.body.includes('pingap_http_requests_total{server="pusher",location="pushed"} 1'),
      )
      assert.ok(found, `no push with the request yet (${receiver.pushes.length} pushes)`)
      return found
    }, 10_000)
    assert.equal(push.url, '/metrics/job/pingap')
    assert.equal(
      push.headers.authorization,
      `Basic ${Buffer.from('job:secret').toString('base64')}`,
    )
    assert.match(String(push.headers['content-type']), /^text\/plain/)
    // The pushing server has no pull path: /metrics there is routed like any request.
    assert.notEqual((await request(pusher, '/metrics')).body.split('\n')[0], '# HELP')
  })
})
