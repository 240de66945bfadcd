import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildUpstreamHeaders } from '../../../src/proxy/upstream-headers.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

const FORWARDING = {
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '8443',
  'x-real-ip': '10.6.6.6',
  forwarded: 'for=10.6.6.6;host=evil.example',
}

const request = {
  host: 'shop.test',
  accept: 'text/html',
  connection: 'keep-alive',
  'x-forwarded-for': '10.6.6.6',
  ...FORWARDING,
}

test('an untrusted client’s forwarding headers are not passed on; X-Forwarded-For is', () => {
  const headers = buildUpstreamHeaders(fakeContext({ headers: { ...request } }), null)
  assert.deepEqual(headers, {
    host: 'shop.test',
    accept: 'text/html',
    'x-forwarded-for': '10.6.6.6',
  })
})

test('a trusted proxy’s forwarding headers are passed on; hop-by-hop ones never are', () => {
  const ctx = fakeContext({ headers: { ...request }, peerTrusted: true })
  const headers = buildUpstreamHeaders(ctx, null)
  assert.deepEqual(headers, {
    host: 'shop.test',
    accept: 'text/html',
    'x-forwarded-for': '10.6.6.6',
    ...FORWARDING,
  })
})

test('reverse-proxy headers replace what the client sent with what the proxy saw', () => {
  const ctx = fakeContext({ headers: { ...request }, host: 'shop.test' })
  const headers = buildUpstreamHeaders(ctx, { reverseProxy: true, set: [], add: [] })
  assert.equal(headers['x-forwarded-host'], 'shop.test')
  assert.equal(headers['x-forwarded-proto'], 'http')
  assert.equal(headers['x-forwarded-port'], '8080')
  assert.equal(headers['x-real-ip'], '192.0.2.10')
  assert.equal(headers['x-forwarded-for'], '10.6.6.6, 192.0.2.10')
  assert.equal(headers['forwarded'], undefined)
})
