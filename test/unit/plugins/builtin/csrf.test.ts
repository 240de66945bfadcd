import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { newCsrfToken, validCsrfToken } from '../../../../src/plugins/builtin/csrf.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

const CONF = { category: 'csrf', token_path: '/csrf-token', key: 'secret' }

function cookieToken(setCookie: unknown): string {
  const match = /^x-csrf-token=([^;]+); Path=\/$/.exec(String(setCookie))
  assert.ok(match, String(setCookie))
  return match[1]!
}

test('csrf: the token path answers 204 with a signed cookie', async () => {
  const res = await request(plugin(CONF), fakeContext({ path: '/csrf-token' }))
  assert.equal(res?.status, 204)
  assert.equal(res?.headers['cache-control'], 'private, no-store')
  const token = cookieToken(res?.headers['set-cookie'])
  assert.match(token, /^[A-Za-z0-9_-]{12}\.[0-9a-f]+\.[A-Za-z0-9+/]+=*$/)
  assert.ok(validCsrfToken(token, 'secret', 0, Math.floor(Date.now() / 1000)))
})

test('csrf: safe methods pass; POST needs header = cookie with a valid signature', async () => {
  const p = plugin(CONF)
  const token = cookieToken(
    (await request(p, fakeContext({ path: '/csrf-token' })))?.headers['set-cookie'],
  )
  assert.equal(await request(p, fakeContext({ method: 'GET' })), undefined)
  const refused = [
    {},
    { cookie: `x-csrf-token=${token}` },
    { 'x-csrf-token': token, cookie: 'x-csrf-token=other' },
    { 'x-csrf-token': 'a.b.c', cookie: 'x-csrf-token=a.b.c' },
  ]
  for (const headers of refused) {
    const res = await request(p, fakeContext({ method: 'POST', headers }))
    assert.equal(res?.status, 401, JSON.stringify(headers))
    assert.equal(text(res), 'Csrf token is empty or invalid')
  }
  const ok = fakeContext({
    method: 'POST',
    headers: { 'x-csrf-token': token, cookie: `x-csrf-token=${token}` },
  })
  assert.equal(await request(p, ok), undefined)
})

test('csrf tokens signed with another key or older than ttl are refused', () => {
  const now = 1_700_000_000
  const token = newCsrfToken('secret', now)
  assert.ok(validCsrfToken(token, 'secret', 60, now + 60))
  assert.ok(!validCsrfToken(token, 'secret', 60, now + 61))
  assert.ok(!validCsrfToken(token, 'other', 0, now))
})

test('csrf with ttl sets Max-Age', async () => {
  const res = await request(
    plugin({ ...CONF, ttl: '1h', name: 'tok' }),
    fakeContext({ path: '/csrf-token' }),
  )
  assert.match(String(res?.headers['set-cookie']), /^tok=.+; Path=\/; Max-Age=3600$/)
})

test('csrf needs token_path and key', () => {
  for (const [raw, path] of [
    [{ key: 'k' }, 'plugins.c.token_path'],
    [{ token_path: '/t' }, 'plugins.c.key'],
  ] as const) {
    assert.throws(
      () => plugin({ category: 'csrf', ...raw }, 'c'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
    )
  }
})
