import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

test('ping answers 200 pong on its path for any method and lets other paths through', async () => {
  const p = plugin({ category: 'ping', path: '/ping' })
  for (const method of ['GET', 'POST', 'HEAD', 'DELETE']) {
    const res = await request(p, fakeContext({ method, path: '/ping' }))
    assert.equal(res?.status, 200, method)
    assert.equal(text(res), 'pong')
    assert.equal(res?.headers['content-type'], undefined)
  }
  assert.equal(await request(p, fakeContext({ path: '/pingx' })), undefined)
  assert.equal(await request(p, fakeContext({ path: '/' })), undefined)
})

test('ping with an empty path never answers', async () => {
  const p = plugin({ category: 'ping', path: '' })
  assert.equal(await request(p, fakeContext({ path: '/' })), undefined)
  assert.equal(await request(p, fakeContext({ path: '' })), undefined)
})

test('ping refuses a path that does not start with /', () => {
  assert.throws(
    () => plugin({ category: 'ping', path: 'ping' }, 'hp'),
    (err: unknown) => err instanceof ConfigError && err.path === 'plugins.hp.path',
  )
})
