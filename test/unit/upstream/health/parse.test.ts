import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { parseHealthCheck } from '../../../../src/upstream/health/parse.ts'

test('parseHealthCheck reads every parameter of the health_check URL', () => {
  const cases = [
    {
      url: '',
      want: { kind: 'tcp', connectTimeoutMs: 3000, readTimeoutMs: 3000, intervalMs: 10_000 },
    },
    { url: undefined, want: { kind: 'tcp', success: 1, failure: 1 } },
    { url: 'tcp://upstream', want: { kind: 'tcp', success: 1, failure: 2, parallel: false } },
    {
      url: 'tcp://x?connection_timeout=500ms&check_frequency=100ms&success=3&failure=4&parallel',
      want: { connectTimeoutMs: 500, intervalMs: 100, success: 3, failure: 4, parallel: true },
    },
    { url: 'tcp://x?check_frequency=3s', want: { intervalMs: 3000 } },
    {
      url: 'http://charts/ping?connection_timeout=3s&success=2&failure=1',
      want: { kind: 'http', host: 'charts', path: '/ping', tls: false, success: 2, failure: 1 },
    },
    { url: 'http://charts', want: { path: '/' } },
    {
      url: 'https://api.test:8443/health?read_timeout=1s&reuse&v=2&x=a%20b',
      want: { tls: true, host: 'api.test:8443', path: '/health?v=2&x=a%20b', readTimeoutMs: 1000 },
    },
    { url: 'http://h/p?reuse=false&parallel=0', want: { reuse: false, parallel: false } },
    { url: 'http://h/p?reuse=true', want: { reuse: true } },
    { url: 'http://h/p?tls&service=svc', want: { tls: false, path: '/p', service: 'svc' } },
    { url: 'grpc://api.test:50051?service=a', want: { kind: 'grpc', tls: false, service: 'a' } },
    { url: 'grpc://api.test?tls', want: { kind: 'grpc', tls: true, host: 'api.test' } },
  ]
  for (const { url, want } of cases) {
    const got = parseHealthCheck(url)
    const picked = Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof typeof got]]))
    assert.deepEqual(picked, want, String(url))
  }
})

test('a bad health_check is a ConfigError naming the key', () => {
  const cases = [
    { url: 'not a url', why: 'is not a URL' },
    { url: 'ftp://x', why: 'unsupported scheme "ftp"' },
    { url: 'tcp://x?check_frequency=soon', why: 'check_frequency="soon"' },
    { url: 'tcp://x?check_frequency=0s', why: 'check_frequency="0s"' },
    { url: 'tcp://x?connection_timeout=-1s', why: 'connection_timeout="-1s"' },
    { url: 'tcp://x?success=0', why: 'success="0" must be a positive integer' },
    { url: 'tcp://x?failure=two', why: 'failure="two"' },
  ]
  for (const { url, why } of cases) {
    assert.throws(
      () => parseHealthCheck(url, 'upstreams.app.health_check'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'upstreams.app.health_check' &&
        err.message.includes(why),
      url,
    )
  }
})
