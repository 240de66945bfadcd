import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { test } from 'node:test'
import { compileHeaderValue, parseHeaderEntry } from '../../../src/core/header-value.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

const ctx = fakeContext({
  host: 'b.test',
  scheme: 'https',
  remoteAddr: '192.0.2.10',
  remotePort: 51000,
  serverAddr: '127.0.0.1',
  serverPort: 8443,
  upstreamAddr: '10.0.0.1:80',
  location: 'api',
  headers: {
    host: 'b.test',
    'user-agent': 'curl/8.5',
    'x-request-id': 'abc',
    x_odd: 'underscored',
    'x-forwarded-for': '203.0.113.1',
  },
})

test('whole-value variables expand (spec §2.7, §14 items 25-27)', () => {
  process.env['PGT_TEST_HEADER_ENV'] = 'from-env'
  const cases: Array<[string, string]> = [
    ['$host', 'b.test'],
    ['$scheme', 'https'],
    ['$hostname', hostname()],
    ['$remote_addr', '192.0.2.10'],
    ['$remote_port', '51000'],
    ['$server_addr', '127.0.0.1'],
    ['$server_port', '8443'],
    ['$upstream_addr', '10.0.0.1:80'],
    ['$proxy_add_x_forwarded_for', '203.0.113.1, 192.0.2.10'],
    ['$http_user-agent', 'curl/8.5'],
    ['$http_User-Agent', 'curl/8.5'],
    ['$http_x_request_id', 'abc'],
    ['$http_x_odd', 'underscored'],
    ['$PGT_TEST_HEADER_ENV', 'from-env'],
    [':location', 'api'],
    [':connection_id', '7'],
  ]
  for (const [value, expected] of cases)
    assert.equal(compileHeaderValue(value)(ctx), expected, value)
})

test('$HOME copies the environment variable', () => {
  assert.equal(compileHeaderValue('$HOME')(ctx), process.env['HOME'])
})

test('unresolvable and partial values are sent literally', () => {
  const literal = [
    '$nosuch_pgt_variable',
    '$valueOf',
    '$constructor',
    '$http_x_missing',
    ':nosuch',
    ':upstream_reused',
    'static',
    'a $host b',
    '$',
    ':',
    '$http_',
    '',
  ]
  for (const value of literal) assert.equal(compileHeaderValue(value)(ctx), value, value)
  const before = fakeContext()
  assert.equal(compileHeaderValue('$upstream_addr')(before), '$upstream_addr')
})

test('$proxy_add_x_forwarded_for without an incoming header is the peer IP', () => {
  assert.equal(compileHeaderValue('$proxy_add_x_forwarded_for')(fakeContext()), '192.0.2.10')
  const many = fakeContext({ headers: { 'x-forwarded-for': '198.51.100.1, 198.51.100.2' } })
  assert.equal(
    compileHeaderValue('$proxy_add_x_forwarded_for')(many),
    '198.51.100.1, 198.51.100.2, 192.0.2.10',
  )
})

test('parseHeaderEntry splits name and value', () => {
  const cases: Array<[string, [string, string] | undefined]> = [
    ['X-A: 1', ['x-a', '1']],
    ['x-a:1', ['x-a', '1']],
    ['Host:api.github.com', ['host', 'api.github.com']],
    ['x-ua:$http_user-agent', ['x-ua', '$http_user-agent']],
    ['x-time: 12:30:00 ', ['x-time', '12:30:00']],
    ['x-empty:', ['x-empty', '']],
    ['no-colon', undefined],
    [': value', undefined],
    ['bad name: v', undefined],
    ['x-ctl: a\u0001b', undefined],
  ]
  for (const [entry, expected] of cases) assert.deepEqual(parseHeaderEntry(entry), expected, entry)
})
