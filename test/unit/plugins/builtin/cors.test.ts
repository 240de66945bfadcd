import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { head, plugin, request } from './support.ts'

const ORIGIN = 'https://app.test'

test('cors preflight: OPTIONS → 204 mirroring the Origin, max-age 3600 and the default methods', async () => {
  const p = plugin({
    category: 'cors',
    allow_origin: '$http_origin',
    allow_credentials: true,
    allow_headers: 'Content-Type',
  })
  const res = await request(p, fakeContext({ method: 'OPTIONS', headers: { origin: ORIGIN } }))
  assert.equal(res?.status, 204)
  assert.equal(res?.headers['access-control-allow-origin'], ORIGIN)
  assert.equal(res?.headers['access-control-max-age'], '3600')
  assert.equal(
    res?.headers['access-control-allow-methods'],
    'GET, POST, PUT, PATCH, DELETE, OPTIONS',
  )
  assert.equal(res?.headers['access-control-allow-headers'], 'Content-Type')
  assert.equal(res?.headers['access-control-allow-credentials'], 'true')
  assert.equal(res?.headers['vary'], 'Origin')
  assert.equal(res?.body.length, 0)
})

test('cors adds its headers to responses of requests with an Origin, not to others', async () => {
  const p = plugin({ category: 'cors', allow_origin: '$http_origin', expose_headers: 'X-Total' })
  const ctx = fakeContext({ headers: { origin: ORIGIN } })
  assert.equal(await request(p, ctx), undefined)
  const withOrigin = head(200, { 'content-type': 'text/plain' })
  await p.onResponse!(ctx, withOrigin)
  assert.equal(withOrigin.headers['access-control-allow-origin'], ORIGIN)
  assert.equal(withOrigin.headers['access-control-expose-headers'], 'X-Total')
  assert.equal(withOrigin.headers['access-control-max-age'], '3600')
  const without = head(200, {})
  await p.onResponse!(fakeContext(), without)
  assert.deepEqual(without.headers, {})
})

test('cors sends a literal allow_origin as is (default "*"; not quirk Q1)', async () => {
  const star = await request(plugin({ category: 'cors' }), fakeContext({ method: 'OPTIONS' }))
  assert.equal(star?.headers['access-control-allow-origin'], '*')
  assert.equal(star?.headers['vary'], undefined)
  const fixed = plugin({ category: 'cors', allow_origin: 'https://only.test', max_age: '0s' })
  const res = await request(fixed, fakeContext({ method: 'OPTIONS', headers: { origin: ORIGIN } }))
  assert.equal(res?.headers['access-control-allow-origin'], 'https://only.test')
  assert.equal(res?.headers['access-control-max-age'], undefined)
})

test('cors with a path regex leaves other paths alone', async () => {
  const p = plugin({ category: 'cors', path: '^/api' })
  assert.equal(await request(p, fakeContext({ method: 'OPTIONS', path: '/web' })), undefined)
  assert.equal((await request(p, fakeContext({ method: 'OPTIONS', path: '/api/x' })))?.status, 204)
  const h = head()
  await p.onResponse!(fakeContext({ path: '/web', headers: { origin: ORIGIN } }), h)
  assert.deepEqual(h.headers, {})
})

test('a mirrored origin is left out when the request has none', async () => {
  const p = plugin({ category: 'cors', allow_origin: '$http_origin' })
  const res = await request(p, fakeContext({ method: 'OPTIONS' }))
  assert.equal(res?.status, 204)
  assert.equal(res?.headers['access-control-allow-origin'], undefined)
})
