import assert from 'node:assert/strict'
import { homedir, hostname } from 'node:os'
import { test } from 'node:test'
import type { RequestContext } from '../../../src/core/context.ts'
import { isPingapError } from '../../../src/core/errors.ts'
import {
  ACCESS_LOG_PRESETS,
  compileAccessLog,
  type AccessLogResponse,
} from '../../../src/proxy/access-log.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

const res: AccessLogResponse = {
  status: 200,
  bytes: 1124,
  headers: { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-n': 5 },
}

function full(): RequestContext {
  return fakeContext({
    method: 'POST',
    host: 'b.test',
    path: '/api/users',
    query: 'a=1&b=2',
    scheme: 'https',
    proto: 'HTTP/2.0',
    remoteAddr: '192.0.2.10',
    clientIp: '203.0.113.7',
    payloadSize: 2_500_000,
    requestId: 'req-1',
    location: 'api',
    startTime: performance.now() - 3000,
    headers: {
      referer: 'https://ref.test/',
      'user-agent': 'curl/8.5',
      cookie: 'sid=s3; theme=dark',
      'x-trace': 't1',
    },
  })
}

function line(template: string, ctx = full(), response = res): string {
  return compileAccessLog(template).format(ctx, response)
}

test('every simple tag', () => {
  const cases: Array<[string, string | RegExp]> = [
    ['{host}', 'b.test'],
    ['{method}', 'POST'],
    ['{path}', '/api/users'],
    ['{proto}', 'HTTP/2.0'],
    ['{query}', 'a=1&b=2'],
    ['{remote}', '192.0.2.10'],
    ['{client_ip}', '203.0.113.7'],
    ['{scheme}', 'https'],
    ['{uri}', '/api/users?a=1&b=2'],
    ['{referer}', 'https://ref.test/'],
    ['{user_agent}', 'curl/8.5'],
    ['{size}', '1124'],
    ['{size_human}', '1.1KB'],
    ['{status}', '200'],
    ['{latency}', /^3\d{3}$/],
    ['{latency_human}', /^3(\.\d)?s$/],
    ['{payload_size}', '2500000'],
    ['{payload_size_human}', '2.5MB'],
    ['{request_id}', 'req-1'],
    ['{when}', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/],
    ['{when_utc_iso}', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/],
    ['{when_unix}', /^\d{13}$/],
  ]
  for (const [template, expected] of cases) {
    if (typeof expected === 'string') assert.equal(line(template), expected, template)
    else assert.match(line(template), expected, template)
  }
})

test('{when_unix} is the time of formatting', () => {
  const before = Date.now()
  const value = Number(line('{when_unix}'))
  assert.ok(value >= before && value <= Date.now())
})

test('cookie, request header, response header and context tags', () => {
  const cases: Array<[string, string]> = [
    ['{~sid}', 's3'],
    ['{~theme}', 'dark'],
    ['[{~missing}]', '[]'],
    ['{>X-Trace}', 't1'],
    ['{>x-trace}', 't1'],
    ['{>x-missing}', '-'],
    ['{<Content-Type}', 'application/json'],
    ['{<set-cookie}', 'a=1, b=2'],
    ['{<x-n}', '5'],
    ['{<x-missing}', '-'],
    ['{:location}', 'api'],
    ['{:upstream_status}', '-'],
    ['{:upstream_addr}', '-'],
    ['{:tls_version}', '-'],
    ['[{:no_such_key}]', '[]'],
  ]
  for (const [template, expected] of cases) assert.equal(line(template), expected, template)
  const fn: AccessLogResponse = {
    status: 200,
    bytes: 0,
    headers: (n) => (n === 'x-a' ? 'A' : undefined),
  }
  assert.equal(line('{<X-A} {<x-b}', full(), fn), 'A -')
})

test('{$hostname} and {$ENV} are resolved when the template is compiled', () => {
  process.env['PGT_ACCESS_LOG_TEST'] = 'one'
  const log = compileAccessLog('{$hostname} {$PGT_ACCESS_LOG_TEST} {$PGT_NO_SUCH_VAR} {$valueOf}')
  process.env['PGT_ACCESS_LOG_TEST'] = 'two'
  assert.equal(log.format(full(), res), `${hostname()} one - -`)
})

test('empty values print "-"; unknown tags and text stay literal', () => {
  const ctx = fakeContext({ query: '', requestId: undefined, host: '' })
  assert.equal(line('{query} {request_id} {host} {referer} {user_agent}', ctx), '- - - - -')
  assert.equal(line('{unknown} {method', ctx), '{unknown} {method')
  assert.equal(line('{uri}', ctx), '/x')
  assert.equal(line('a{{method}}b', ctx), 'a{GET}b')
})

test('client-controlled quotes and control bytes are escaped', () => {
  const ctx = fakeContext({ headers: { 'user-agent': 'x" "200\\\ty' } })
  assert.equal(line('"{user_agent}"', ctx), '"x\\x22 \\x22200\\x5c\\x09y"')
})

test('presets have the exact shapes (spec §6.1, §14 item 63)', () => {
  const ctx = fakeContext({ startTime: performance.now() - 3.2 })
  const five: AccessLogResponse = { status: 200, bytes: 5, headers: {} }
  assert.match(line('tiny', ctx, five), /^GET \/x 200 5B - \d+ms$/)
  assert.ok(Number(/(\d+)ms$/.exec(line('tiny', ctx, five))![1]) >= 3)
  assert.match(line('short', ctx, five), /^192\.0\.2\.10 GET \/x HTTP\/1\.1 200 5B - \d+ms$/)
  assert.equal(line('common', ctx, five), '192.0.2.10 "GET /x HTTP/1.1" 200 5B')
  assert.equal(
    line('combined', full()),
    '192.0.2.10 "POST /api/users?a=1&b=2 HTTP/2.0" 200 1.1KB "https://ref.test/" "curl/8.5"',
  )
  assert.deepEqual(Object.keys(ACCESS_LOG_PRESETS), ['combined', 'common', 'short', 'tiny'])
})

test('the "<file> <format>" form', () => {
  const cases: Array<[string, string | undefined, string, number | undefined]> = [
    ['/var/log/a.log tiny', '/var/log/a.log', 'daily', undefined],
    ['/var/log/a.log?rolling=hourly {method}', '/var/log/a.log', 'hourly', undefined],
    [
      '/l/a.log?rolling=minutely&flush_timeout=10s&channel_buffer=10 tiny',
      '/l/a.log',
      'minutely',
      10,
    ],
    ['/l/a.log?rolling=never combined', '/l/a.log', 'never', undefined],
    ['~/logs/a.log tiny', `${homedir()}/logs/a.log`, 'daily', undefined],
    ['tiny', undefined, 'never', undefined],
    ['{method} {uri}', undefined, 'never', undefined],
    ['{remote} - {uri}', undefined, 'never', undefined],
    ['GET /x {uri}', undefined, 'never', undefined],
  ]
  for (const [spec, path, rolling, queueSize] of cases) {
    const log = compileAccessLog(spec)
    assert.equal(log.path, path, spec)
    assert.equal(log.rolling, rolling, spec)
    assert.equal(log.queueSize, queueSize, spec)
  }
  assert.equal(compileAccessLog('/var/log/a.log {method}').format(fakeContext(), res), 'GET')
  assert.equal(compileAccessLog('x.log tiny').path, 'x.log')
  // Not a preset and not a template after the space: the whole value is the template.
  assert.equal(compileAccessLog('x.log plain').format(fakeContext(), res), 'x.log plain')
  assert.equal(compileAccessLog('x.log plain').path, undefined)
})

test('bad values fail with the TOML path', () => {
  for (const spec of ['', '  ', '/a.log?rolling=weekly tiny', '/a.log?channel_buffer=0 tiny']) {
    assert.throws(
      () => compileAccessLog(spec, 'servers.web.access_log'),
      (err: unknown) => isPingapError(err) && err.message.startsWith('servers.web.access_log: '),
      spec,
    )
  }
})
