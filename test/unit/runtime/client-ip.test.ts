import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTrustedProxies, resolveClientIp } from '../../../src/runtime/client-ip.ts'

const trusted = buildTrustedProxies(['127.0.0.1', '10.0.0.0/8'])

test('the client IP of each peer and header combination', () => {
  const cases: Array<[string, string, Record<string, string>, string]> = [
    [
      'untrusted peer: headers ignored',
      '203.0.113.5',
      { 'x-forwarded-for': '1.2.3.4' },
      '203.0.113.5',
    ],
    ['trusted peer, one entry', '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' }, '203.0.113.9'],
    // Catalogue F4: the client wrote the first entry itself; the trusted hop appended its peer.
    [
      'client-written first entry',
      '127.0.0.1',
      { 'x-forwarded-for': '6.6.6.6, 203.0.113.9' },
      '203.0.113.9',
    ],
    [
      'trusted hops are skipped',
      '127.0.0.1',
      { 'x-forwarded-for': '198.51.100.7, 10.1.2.3, 10.0.0.1' },
      '198.51.100.7',
    ],
    [
      'every hop trusted: leftmost',
      '127.0.0.1',
      { 'x-forwarded-for': '10.0.0.9, 10.0.0.1' },
      '10.0.0.9',
    ],
    [
      'garbled entry ends the walk',
      '127.0.0.1',
      { 'x-forwarded-for': 'evil, 10.0.0.1' },
      '10.0.0.1',
    ],
    [
      'garbled rightmost: X-Real-IP',
      '127.0.0.1',
      { 'x-forwarded-for': 'unknown', 'x-real-ip': '198.51.100.1' },
      '198.51.100.1',
    ],
    ['garbled X-Real-IP: the peer', '127.0.0.1', { 'x-real-ip': 'not an ip' }, '127.0.0.1'],
    [
      'IPv4-mapped trusted peer',
      '::ffff:127.0.0.1',
      { 'x-forwarded-for': '203.0.113.9' },
      '203.0.113.9',
    ],
    ['IPv6 client', '127.0.0.1', { 'x-forwarded-for': '2001:db8::1' }, '2001:db8::1'],
  ]
  for (const [name, peer, headers, expected] of cases) {
    assert.equal(resolveClientIp(trusted, peer, headers), expected, name)
  }
})

test('without trusted_proxies the peer is the client, whatever the headers say', () => {
  assert.equal(
    resolveClientIp(undefined, '127.0.0.1', { 'x-forwarded-for': '1.2.3.4' }),
    '127.0.0.1',
  )
})

test('a very long chain is walked only over its last hops', () => {
  const all = buildTrustedProxies(['0.0.0.0/0'])
  const chain = Array.from({ length: 10_000 }, (_, i) => `10.0.${(i >> 8) & 255}.${i & 255}`)
  const client = resolveClientIp(all, '127.0.0.1', { 'x-forwarded-for': chain.join(', ') })
  assert.equal(client, chain[chain.length - 32])
})
