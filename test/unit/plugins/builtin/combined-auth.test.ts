import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

const CONF = {
  category: 'combined_auth',
  authorizations: [
    { app_id: 'pingap', secret: 'secret', deviation: 60 },
    { app_id: 'office', secret: 'x', deviation: 60, ip_list: ['10.0.0.0/8'] },
    { app_id: 'open', secret: '*' },
    { secret: 'ignored, no app_id' },
  ],
}

function query(app: string, ts: number | string, secret = 'secret'): string {
  const digest = createHash('sha256').update(`${secret}:${ts}`).digest('hex')
  return `app_id=${app}&ts=${ts}&digest=${digest}`
}

const now = (): number => Math.floor(Date.now() / 1000)

test('combined_auth passes a fresh digest and refuses a stale timestamp', async () => {
  const p = plugin(CONF)
  assert.equal(await request(p, fakeContext({ query: query('pingap', now()) })), undefined)
  assert.equal(
    await request(
      p,
      fakeContext({
        query: query('pingap', now())
          .toUpperCase()
          .replace('APP_ID=PINGAP', 'app_id=pingap')
          .replace('&TS=', '&ts=')
          .replace('&DIGEST=', '&digest='),
      }),
    ),
    undefined,
  )
  const res = await request(p, fakeContext({ query: query('pingap', now() - 120) }))
  assert.equal(res?.status, 401)
  assert.equal(res?.headers['cache-control'], 'private, no-store')
  assert.equal(text(res), 'Plugin combined_auth invalid, message: timestamp deviation is invalid')
})

test('combined_auth reasons, in Pingap order', async () => {
  const p = plugin(CONF)
  const cases: Array<[string, string, string?]> = [
    ['', 'app id is empty'],
    ['app_id=nobody', 'app id is invalid'],
    ['app_id=pingap', 'timestamp is empty'],
    ['app_id=pingap&ts=abc', 'timestamp deviation is invalid'],
    [`app_id=pingap&ts=${now()}`, 'digest is empty'],
    [`app_id=pingap&ts=${now()}&digest=00`, 'digest is invalid'],
    [query('office', now(), 'x'), 'ip is invalid', '192.0.2.1'],
  ]
  for (const [q, reason, clientIp = '127.0.0.1'] of cases) {
    const res = await request(p, fakeContext({ query: q, clientIp }))
    assert.equal(text(res), `Plugin combined_auth invalid, message: ${reason}`, q)
  }
  assert.equal(
    await request(p, fakeContext({ query: query('office', now(), 'x'), clientIp: '10.1.2.3' })),
    undefined,
  )
  assert.equal(await request(p, fakeContext({ query: 'app_id=open' })), undefined)
})

test('combined_auth needs a positive deviation unless the secret is "*"', () => {
  assert.throws(
    () =>
      plugin({ category: 'combined_auth', authorizations: [{ app_id: 'a', secret: 's' }] }, 'ca'),
    (err: unknown) =>
      err instanceof ConfigError && err.path === 'plugins.ca.authorizations[0].deviation',
  )
  assert.throws(
    () => plugin({ category: 'combined_auth', authorizations: [] }, 'ca'),
    (err: unknown) => err instanceof ConfigError && err.path === 'plugins.ca.authorizations',
  )
})
