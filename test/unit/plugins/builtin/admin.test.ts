import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { textResponse } from '../../../../src/core/http-response.ts'
import type { AdminMountOptions } from '../../../../src/plugins/builtin/admin.ts'
import { createBuiltinRegistry } from '../../../../src/plugins/builtin/index.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

const OPS = Buffer.from('ops:s3cret').toString('base64')

test('admin options: path without trailing slash, users decoded, defaults', async () => {
  const seen: AdminMountOptions[] = []
  const registry = createBuiltinRegistry({
    adminMounts: () => (options) => {
      seen.push(options)
      return () => Promise.resolve(textResponse(200, 'admin'))
    },
  })
  const p = registry.create('console', {
    category: 'admin',
    path: '/pingap/',
    authorizations: [OPS, 'plain:text'],
  })
  assert.equal(text(await request(p, fakeContext({ path: '/pingap/api/v1/config' }))), 'admin')
  assert.deepEqual(seen, [
    {
      path: '/pingap',
      users: [
        { user: 'ops', password: 's3cret' },
        { user: 'plain', password: 'text' },
      ],
      maxAgeMs: 2 * 86_400_000,
      ipFailLimit: 10,
    },
  ])
})

test('admin acts only below its prefix; the mount is built once', async () => {
  let built = 0
  const registry = createBuiltinRegistry({
    adminMounts: () => () => {
      built++
      return () => Promise.resolve(textResponse(200, 'admin'))
    },
  })
  const p = registry.create('console', { category: 'admin', path: '/pingap' })
  const cases: Array<[string, boolean]> = [
    ['/pingap', true],
    ['/pingap/', true],
    ['/pingap/api/v1/status', true],
    ['/pingapx', false],
    ['/', false],
    ['/other/pingap', false],
  ]
  for (const [path, handled] of cases) {
    const res = await request(p, fakeContext({ path }))
    assert.equal(res === undefined ? false : text(res) === 'admin', handled, path)
  }
  assert.equal(built, 1)
  const all = registry.create('root', { category: 'admin' })
  assert.equal(text(await request(all, fakeContext({ path: '/anything' }))), 'admin')
})

test('without a mount factory (-t, cluster workers) the admin plugin answers 503', async () => {
  const p = plugin({ category: 'admin', path: '/pingap' })
  const res = await request(p, fakeContext({ path: '/pingap/' }))
  assert.equal(res?.status, 503)
  assert.equal(await request(p, fakeContext({ path: '/else' })), undefined)
})

test('admin config errors name the key', () => {
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ path: 'pingap' }, 'plugins.test.path'],
    [
      { authorizations: [Buffer.from('nocolon').toString('base64')] },
      'plugins.test.authorizations',
    ],
    [{ authorizations: ['user:'] }, 'plugins.test.authorizations'],
    [{ max_age: 'soon' }, 'plugins.test.max_age'],
    [{ ip_fail_limit: -1 }, 'plugins.test.ip_fail_limit'],
    [{ users: [] }, 'plugins.test.users'],
  ]
  for (const [raw, path] of bad) {
    assert.throws(
      () => plugin({ category: 'admin', ...raw }),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
