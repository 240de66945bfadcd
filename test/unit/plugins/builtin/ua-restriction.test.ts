import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

test('ua_restriction deny: curl gets 403, browsers and a missing User-Agent pass', async () => {
  const p = plugin({
    category: 'ua_restriction',
    type: 'deny',
    ua_list: ['curl/', 'Twitterspider'],
  })
  const res = await request(p, fakeContext({ headers: { 'user-agent': 'curl/8.5.0' } }))
  assert.equal(res?.status, 403)
  assert.equal(text(res), 'Request is forbidden')
  assert.equal(
    await request(p, fakeContext({ headers: { 'user-agent': 'Mozilla/5.0' } })),
    undefined,
  )
  assert.equal(await request(p, fakeContext()), undefined)
})

test('ua_restriction allow: only matching agents pass (regexes are unanchored)', async () => {
  const p = plugin({ category: 'ua_restriction', ua_list: ['Chrome/\\d+'] })
  assert.equal(
    await request(p, fakeContext({ headers: { 'user-agent': 'Mozilla/5.0 Chrome/120 Safari' } })),
    undefined,
  )
  assert.equal(
    (await request(p, fakeContext({ headers: { 'user-agent': 'curl/8' } })))?.status,
    403,
  )
  assert.equal((await request(p, fakeContext()))?.status, 403)
})

test('ua_restriction refuses a pattern the linear engine cannot run, naming the entry', () => {
  assert.throws(
    () => plugin({ category: 'ua_restriction', ua_list: ['ok', '(a)\\1'] }, 'ua'),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.code === 'PGT_ERR_CONFIG_REGEX' &&
      err.path === 'plugins.ua.ua_list[1]',
  )
})
