import assert from 'node:assert/strict'
import { test } from 'node:test'
import { humanUptime } from '../../../../src/plugins/builtin/stats.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request } from './support.ts'

test('stats answers JSON process statistics on its path only', async () => {
  const p = plugin({ category: 'stats', path: '/stats' })
  const res = await request(p, fakeContext({ path: '/stats' }))
  assert.equal(res?.status, 200)
  assert.equal(res?.headers['content-type'], 'application/json; charset=utf-8')
  const body: Record<string, unknown> = JSON.parse(res.body.toString())
  for (const key of ['hostname', 'version', 'start_time', 'uptime', 'memory_mb', 'arch', 'cpus']) {
    assert.ok(key in body, key)
  }
  assert.equal(typeof body['memory_mb'], 'number')
  assert.equal(await request(p, fakeContext({ path: '/stats/x' })), undefined)
})

test('uptime is printed as humantime', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [59, '59s'],
    [61, '1m 1s'],
    [90061, '1d 1h 1m 1s'],
    [3600, '1h'],
  ]
  for (const [seconds, want] of cases) assert.equal(humanUptime(seconds), want)
})
