import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

const TOKEN = Buffer.from('pingap:123123').toString('base64')
const CHALLENGE = 'Basic realm="Access to the staging site"'

test('basic_auth: missing header → 401 with the challenge', async () => {
  const res = await request(
    plugin({ category: 'basic_auth', authorizations: [TOKEN] }),
    fakeContext(),
  )
  assert.equal(res?.status, 401)
  assert.equal(text(res), 'Authorization is missing')
  assert.equal(res?.headers['www-authenticate'], CHALLENGE)
})

test('basic_auth: wrong or malformed credentials → 401 Invalid user or password', async () => {
  const p = plugin({ category: 'basic_auth', authorizations: [TOKEN] })
  const wrong = [
    'Basic ' + Buffer.from('pingap:nope').toString('base64'),
    'Basic !!!',
    'Bearer ' + TOKEN,
    'Basic',
    TOKEN,
  ]
  for (const authorization of wrong) {
    const res = await request(p, fakeContext({ headers: { authorization } }))
    assert.equal(res?.status, 401, authorization)
    assert.equal(text(res), 'Invalid user or password')
    assert.equal(res?.headers['www-authenticate'], CHALLENGE)
  }
})

test('basic_auth: right credentials pass, and hide_credentials removes the header', async () => {
  const keep = plugin({ category: 'basic_auth', authorizations: ['YWRtaW46MTIzNDU2', TOKEN] })
  const ctx = fakeContext({ headers: { authorization: `Basic ${TOKEN}` } })
  assert.equal(await request(keep, ctx), undefined)
  assert.equal(ctx.headers.authorization, `Basic ${TOKEN}`)
  const hide = plugin({ category: 'basic_auth', authorizations: [TOKEN], hide_credentials: true })
  const hidden = fakeContext({ headers: { authorization: `basic ${TOKEN}` } })
  assert.equal(await request(hide, hidden), undefined)
  assert.equal(hidden.headers.authorization, undefined)
})

test('basic_auth delays the answer to wrong credentials only', async () => {
  const p = plugin({ category: 'basic_auth', authorizations: [TOKEN], delay: '20ms' })
  const slow = p.onRequest!(fakeContext({ headers: { authorization: 'Basic eDp5' } }))
  assert.ok(slow instanceof Promise)
  assert.equal(text(await slow), 'Invalid user or password')
  assert.ok(
    !(
      p.onRequest!(fakeContext({ headers: { authorization: `Basic ${TOKEN}` } })) instanceof Promise
    ),
  )
  assert.ok(!(p.onRequest!(fakeContext()) instanceof Promise))
})

test('basic_auth refuses an empty list and entries that are not base64 of user:pass', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, 'plugins.ba.authorizations'],
    [{ authorizations: [] }, 'plugins.ba.authorizations'],
    [{ authorizations: [TOKEN, 'not base64!'] }, 'plugins.ba.authorizations[1]'],
    [
      { authorizations: [Buffer.from('nocolon').toString('base64')] },
      'plugins.ba.authorizations[0]',
    ],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'basic_auth', ...raw }, 'ba'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
