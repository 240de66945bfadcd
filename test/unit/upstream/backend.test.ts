import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import {
  assertUsableIp,
  formatAddress,
  parseBackendEntries,
  parseBackendEntry,
} from '../../../src/upstream/backend.ts'

test('parseBackendEntry reads host, port and weight', () => {
  const cases = [
    { entry: '10.0.0.1', tls: false, want: { host: '10.0.0.1', port: 80, weight: 1 } },
    { entry: '10.0.0.1', tls: true, want: { host: '10.0.0.1', port: 443, weight: 1 } },
    { entry: '10.0.0.1:8080', tls: true, want: { host: '10.0.0.1', port: 8080, weight: 1 } },
    { entry: '10.0.0.1:8080 10', tls: false, want: { host: '10.0.0.1', port: 8080, weight: 10 } },
    { entry: '  10.0.0.1   3 ', tls: false, want: { host: '10.0.0.1', port: 80, weight: 3 } },
    { entry: '[::1]:8080', tls: false, want: { host: '::1', port: 8080, weight: 1 } },
    { entry: '[::1]', tls: true, want: { host: '::1', port: 443, weight: 1 } },
    { entry: '::1', tls: false, want: { host: '::1', port: 80, weight: 1 } },
    { entry: '[2001:db8::5]:81 2', tls: false, want: { host: '2001:db8::5', port: 81, weight: 2 } },
    {
      entry: 'API.Example.com:3000',
      tls: false,
      want: { host: 'api.example.com', port: 3000, weight: 1 },
    },
    { entry: 'localhost', tls: false, want: { host: 'localhost', port: 80, weight: 1 } },
  ]
  for (const { entry, tls, want } of cases) {
    assert.deepEqual(parseBackendEntry(entry, tls, 'addrs'), want, entry)
  }
})

test('a malformed entry is a ConfigError naming the addrs key', () => {
  const cases = [
    '',
    '10.0.0.1:',
    '10.0.0.1:http',
    '10.0.0.1:70000',
    '10.0.0.1:0',
    '10.0.0.1 0',
    '10.0.0.1 x',
    '10.0.0.1 1 2',
    '[::1',
    '[10.0.0.1]:80',
    '[::1]x',
    'bad host!',
    ':80',
  ]
  for (const entry of cases) {
    assert.throws(
      () => parseBackendEntry(entry, false, 'upstreams.app.addrs'),
      (err: unknown) => err instanceof ConfigError && err.path === 'upstreams.app.addrs',
      entry,
    )
  }
})

test('empty addrs is a ConfigError', () => {
  assert.throws(
    () => parseBackendEntries([], false, 'app'),
    (err: unknown) => err instanceof ConfigError && err.path === 'upstreams.app.addrs',
  )
})

test('unspecified, broadcast, multicast and link-local IPs are rejected; others pass', () => {
  for (const host of [
    '0.0.0.0',
    '255.255.255.255',
    '224.0.0.1',
    '169.254.1.1',
    '::',
    'ff02::1',
    'fe80::1',
  ]) {
    assert.throws(
      () => assertUsableIp({ host, port: 80, weight: 1 }, 'upstreams.app.addrs'),
      /invalid IP/,
      host,
    )
  }
  for (const host of ['127.0.0.1', '10.1.2.3', '::1', '2001:db8::1', 'example.com']) {
    assertUsableIp({ host, port: 80, weight: 1 }, 'upstreams.app.addrs')
  }
})

test('formatAddress brackets IPv6 only', () => {
  assert.equal(formatAddress('::1', 80), '[::1]:80')
  assert.equal(formatAddress('10.0.0.1', 80), '10.0.0.1:80')
  assert.equal(formatAddress('example.com', 443), 'example.com:443')
})
