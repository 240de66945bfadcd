import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { head, plugin } from './support.ts'

test('response_headers: remove runs after add, so add + remove of X-A leaves none', async () => {
  const p = plugin({
    category: 'response_headers',
    add_headers: ['X-A: 1'],
    remove_headers: ['X-A'],
  })
  const h = head(200, { 'x-a': '0' })
  await p.onResponse!(fakeContext(), h)
  assert.equal(h.headers['x-a'], undefined)
})

test('response_headers: add appends, set replaces, set_headers_not_exists only fills gaps', async () => {
  const p = plugin({
    category: 'response_headers',
    add_headers: ['X-Add: 2'],
    set_headers: ['X-Set: new'],
    set_headers_not_exists: ['X-Keep: default', 'X-Fill: default'],
  })
  const h = head(200, { 'x-add': '1', 'X-Set': 'old', 'x-keep': 'mine' })
  await p.onResponse!(fakeContext(), h)
  assert.deepEqual(h.headers['x-add'], ['1', '2'])
  assert.equal(h.headers['x-set'], 'new')
  assert.equal(h.headers['X-Set'], undefined)
  assert.equal(h.headers['x-keep'], 'mine')
  assert.equal(h.headers['x-fill'], 'default')
})

test('response_headers: rename moves the upstream value to the new name, appending', async () => {
  const p = plugin({ category: 'response_headers', rename_headers: ['X-B: X-C'] })
  const h = head(200, { 'x-b': 'value', 'x-c': 'existing' })
  await p.onResponse!(fakeContext(), h)
  assert.equal(h.headers['x-b'], undefined)
  assert.deepEqual(h.headers['x-c'], ['existing', 'value'])
})

test('response_headers values may be dynamic', async () => {
  const p = plugin({
    category: 'response_headers',
    set_headers: ['X-Host: $host', 'X-Lit: $nosuch_var_xyz'],
  })
  const h = head()
  await p.onResponse!(fakeContext({ host: 'a.test' }), h)
  assert.equal(h.headers['x-host'], 'a.test')
  assert.equal(h.headers['x-lit'], '$nosuch_var_xyz')
})

test('response_headers runs on the response by default and on the upstream response in upstream mode', () => {
  const down = plugin({ category: 'response_headers', add_headers: ['X-A: 1'] })
  assert.equal(down.step, 'response')
  assert.ok(down.onResponse !== undefined && down.onUpstreamResponse === undefined)
  // No request hook: plugin-made responses (mock, ping) never reach it (spec §14 item 47).
  assert.equal('onRequest' in down, false)
  const up = plugin({ category: 'response_headers', add_headers: ['X-A: 1'], mode: 'upstream' })
  assert.equal(up.step, 'upstream_response')
  assert.ok(up.onUpstreamResponse !== undefined && up.onResponse === undefined)
  const byStep = plugin({ category: 'response_headers', step: 'upstream_response' })
  assert.ok(byStep.onUpstreamResponse !== undefined)
})

test('response_headers refuses malformed entries with their index', () => {
  assert.throws(
    () => plugin({ category: 'response_headers', add_headers: ['X-A: 1', 'bad header'] }, 'rh'),
    (err: unknown) => err instanceof ConfigError && err.path === 'plugins.rh.add_headers[1]',
  )
  assert.throws(
    () => plugin({ category: 'response_headers', rename_headers: ['X-A: bad name'] }, 'rh'),
    (err: unknown) => err instanceof ConfigError && err.path === 'plugins.rh.rename_headers[0]',
  )
})
