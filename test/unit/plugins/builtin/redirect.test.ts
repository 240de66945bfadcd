import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request } from './support.ts'

const plainGet = (overrides = {}) =>
  fakeContext({ host: 'ex.com', path: '/a', query: 'b=1', ...overrides })

test('redirect sends plain HTTP to https with 307, the port dropped and the query kept', async () => {
  const res = await request(plugin({ category: 'redirect', http_to_https: true }), plainGet())
  assert.equal(res?.status, 307)
  assert.equal(res?.headers['location'], 'https://ex.com/a?b=1')
})

test('redirect statuses: 301, 302 and 308 are kept, anything else is 307', async () => {
  const cases: Array<[number, number]> = [
    [301, 301],
    [302, 302],
    [308, 308],
    [303, 307],
    [200, 307],
  ]
  for (const [status, want] of cases) {
    const res = await request(
      plugin({ category: 'redirect', http_to_https: true, status }),
      plainGet(),
    )
    assert.equal(res?.status, want, String(status))
  }
})

test('redirect adds the prefix when the path lacks it', async () => {
  const p = plugin({ category: 'redirect', http_to_https: true, prefix: '/api' })
  assert.equal((await request(p, plainGet()))?.headers['location'], 'https://ex.com/api/a?b=1')
  assert.equal(
    (await request(p, plainGet({ path: '/api/x', query: '' })))?.headers['location'],
    'https://ex.com/api/x',
  )
  assert.equal(await request(p, plainGet({ scheme: 'https', path: '/api/x' })), undefined)
  assert.equal(
    (await request(p, plainGet({ scheme: 'https', path: '/x', query: '' })))?.headers['location'],
    'https://ex.com/api/x',
  )
})

test('redirect passes requests already on the right scheme; http_to_https=false forces http', async () => {
  assert.equal(
    await request(
      plugin({ category: 'redirect', http_to_https: true }),
      plainGet({ scheme: 'https' }),
    ),
    undefined,
  )
  const toHttp = plugin({ category: 'redirect' })
  assert.equal(await request(toHttp, plainGet()), undefined)
  assert.equal(
    (await request(toHttp, plainGet({ scheme: 'https' })))?.headers['location'],
    'http://ex.com/a?b=1',
  )
})

test('a prefix of one character is ignored and a missing leading slash is added', async () => {
  const slash = plugin({ category: 'redirect', http_to_https: true, prefix: '/' })
  assert.equal((await request(slash, plainGet()))?.headers['location'], 'https://ex.com/a?b=1')
  const bare = plugin({ category: 'redirect', http_to_https: true, prefix: 'v2' })
  assert.equal((await request(bare, plainGet()))?.headers['location'], 'https://ex.com/v2/a?b=1')
})
