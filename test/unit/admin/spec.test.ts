import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AdminSpecError, parseAdminSpec, resolveAdminSpec } from '../../../src/admin/spec.ts'

test('parseAdminSpec accepts Pingap forms', () => {
  const b64 = Buffer.from('bob:p@ss/w?rd').toString('base64')
  const cases: Array<[string, Partial<ReturnType<typeof parseAdminSpec>>]> = [
    [
      '127.0.0.1:6100',
      { host: '127.0.0.1', port: 6100, addr: '127.0.0.1:6100', mount: '', users: [] },
    ],
    ['admin:secret@127.0.0.1:6100', { users: [{ user: 'admin', password: 'secret' }] }],
    ['admin:p@ss@127.0.0.1:6100', { users: [{ user: 'admin', password: 'p@ss' }] }],
    [`${b64}@127.0.0.1:6100`, { users: [{ user: 'bob', password: 'p@ss/w?rd' }] }],
    ['0.0.0.0', { host: '0.0.0.0', port: 80, mount: '' }],
    ['[::1]:7000/admin/', { host: '::1', addr: '[::1]:7000', mount: '/admin' }],
    ['127.0.0.1:1/pingap/admin', { mount: '/pingap/admin' }],
    ['127.0.0.1:1?max_age=1h', { maxAgeMs: 3_600_000, ipFailLimit: 10 }],
    [
      '127.0.0.1:1?ip_fail_limit=3&hosts=Admin.Example.com,b',
      { ipFailLimit: 3, hosts: ['admin.example.com', 'b'] },
    ],
  ]
  for (const [input, expected] of cases) {
    const spec = parseAdminSpec(input)
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(spec[key as keyof typeof spec], value, `${input} ${key}`)
    }
  }
})

test('parseAdminSpec refuses malformed values', () => {
  for (const bad of [
    'nobase64@127.0.0.1:1',
    ':pw@127.0.0.1:1',
    'user:@127.0.0.1:1',
    '127.0.0.1:99999',
    'bad host:1',
    '127.0.0.1:1?max_age=soon',
    '127.0.0.1:1?ip_fail_limit=-1',
    '127.0.0.1:1?color=red',
  ]) {
    assert.throws(() => parseAdminSpec(bad), AdminSpecError, bad)
  }
})

test('resolveAdminSpec prefers --admin, then PINGAP_ADMIN_ADDR with USER and PASSWORD', () => {
  assert.equal(resolveAdminSpec(undefined, {}), undefined)
  const env = {
    PINGAP_ADMIN_ADDR: '127.0.0.1:6100/admin',
    PINGAP_ADMIN_USER: 'ops',
    PINGAP_ADMIN_PASSWORD: 'pw',
  }
  const spec = resolveAdminSpec(undefined, env)
  assert.deepEqual(spec?.users, [{ user: 'ops', password: 'pw' }])
  assert.equal(spec?.mount, '/admin')
  assert.equal(resolveAdminSpec('a:b@127.0.0.1:1', env)?.port, 1)
  assert.throws(
    () => resolveAdminSpec(undefined, { PINGAP_ADMIN_ADDR: '127.0.0.1:1', PINGAP_ADMIN_USER: 'x' }),
    AdminSpecError,
  )
})
