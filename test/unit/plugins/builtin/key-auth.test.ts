import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

test('key_auth by query: missing → Key missing, wrong → Key auth fail, right passes', async () => {
  const p = plugin({ category: 'key_auth', query: 'key', keys: ['U8nCkeA9U4'] })
  const cases: Array<[string, string | undefined]> = [
    ['', 'Key missing'],
    ['a=1', 'Key missing'],
    ['key=', 'Key missing'],
    ['key=nope', 'Key auth fail'],
    ['a=1&key=U8nCkeA9U4', undefined],
  ]
  for (const [query, want] of cases) {
    const res = await request(p, fakeContext({ query }))
    assert.equal(text(res), want, query)
    if (want !== undefined) assert.equal(res?.status, 401)
  }
})

test('key_auth hide_credentials removes the key from the forwarded query', async () => {
  const p = plugin({ category: 'key_auth', query: 'key', keys: ['k1'], hide_credentials: true })
  const ctx = fakeContext({ query: 'a=1&key=k1&b=2' })
  assert.equal(await request(p, ctx), undefined)
  assert.equal(ctx.query, 'a=1&b=2')
  assert.ok(!ctx.query.includes('key='))
})

test('key_auth by header, hiding it', async () => {
  const p = plugin({
    category: 'key_auth',
    header: 'X-Api-Key',
    keys: ['k1', 'k2'],
    hide_credentials: true,
  })
  assert.equal(text(await request(p, fakeContext())), 'Key missing')
  assert.equal(
    text(await request(p, fakeContext({ headers: { 'x-api-key': 'k3' } }))),
    'Key auth fail',
  )
  const ctx = fakeContext({ headers: { 'x-api-key': 'k2' } })
  assert.equal(await request(p, ctx), undefined)
  assert.equal(ctx.headers['x-api-key'], undefined)
})

test('key_auth: query wins over header when both are set', async () => {
  const p = plugin({ category: 'key_auth', header: 'x-key', query: 'key', keys: ['k'] })
  assert.equal(text(await request(p, fakeContext({ headers: { 'x-key': 'k' } }))), 'Key missing')
})

test('key_auth needs a source and keys', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ keys: ['k'] }, 'plugins.ka.query'],
    [{ query: 'key' }, 'plugins.ka.keys'],
    [{ query: 'key', keys: [''] }, 'plugins.ka.keys'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'key_auth', ...raw }, 'ka'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
