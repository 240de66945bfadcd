import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

const LIST = ['127.0.0.1', '10.0.0.0/24', '2001:db8::/32']

test('ip_restriction deny: listed clients get 403 Request is forbidden, others pass', async () => {
  const p = plugin({ category: 'ip_restriction', type: 'deny', ip_list: LIST })
  const cases: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['10.0.0.255', true],
    ['10.0.1.1', false],
    ['2001:db8::1', true],
    ['2001:db9::1', false],
    ['192.0.2.10', false],
  ]
  for (const [clientIp, denied] of cases) {
    const res = await request(p, fakeContext({ clientIp }))
    assert.equal(res?.status, denied ? 403 : undefined, clientIp)
    if (denied) assert.equal(text(res), 'Request is forbidden')
  }
})

test('ip_restriction allow (the default): only listed clients pass; custom message', async () => {
  const p = plugin({ category: 'ip_restriction', ip_list: LIST, message: 'go away' })
  assert.equal(await request(p, fakeContext({ clientIp: '10.0.0.7' })), undefined)
  const res = await request(p, fakeContext({ clientIp: '8.8.8.8' }))
  assert.equal(res?.status, 403)
  assert.equal(text(res), 'go away')
})

test('ip_restriction allow with an empty list blocks everyone', async () => {
  const p = plugin({ category: 'ip_restriction', ip_list: [] })
  assert.equal((await request(p, fakeContext({ clientIp: '127.0.0.1' })))?.status, 403)
})

test('ip_restriction answers 400 when the client IP cannot be parsed', async () => {
  const p = plugin({ category: 'ip_restriction', type: 'deny', ip_list: LIST })
  const res = await request(p, fakeContext({ clientIp: '' }))
  assert.equal(res?.status, 400)
  assert.equal(text(res), 'invalid IP address syntax')
})

test('ip_restriction type is allow or deny (any case); anything else is a config error (spec §14 item 58)', () => {
  assert.equal(
    plugin({ category: 'ip_restriction', type: 'DENY', ip_list: [] }).category,
    'ip_restriction',
  )
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ type: 'maybe' }, 'plugins.ip.type'],
    [{ ip_list: ['10.0.0.0/24', '10.0.0.0/33'] }, 'plugins.ip.ip_list[1]'],
    [{ ip_list: ['not-an-ip'] }, 'plugins.ip.ip_list[0]'],
    [{ ip_list: '10.0.0.1' }, 'plugins.ip.ip_list'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'ip_restriction', ...raw }, 'ip'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
