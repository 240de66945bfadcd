import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

test('mock with an empty path answers every request with its status, headers and body', async () => {
  const p = plugin({ category: 'mock', status: 503, headers: ['Retry-After: 600'], data: 'x' })
  for (const path of ['/', '/a/b', '/api']) {
    const res = await request(p, fakeContext({ path }))
    assert.equal(res?.status, 503)
    assert.equal(res?.headers['retry-after'], '600')
    assert.equal(text(res), 'x')
  }
})

test('mock with a path answers only that exact path', async () => {
  const p = plugin({
    category: 'mock',
    path: '/api/test',
    data: '{"ok":1}',
    headers: ['content-type:application/json', 'x-a: 1', 'x-a: 2'],
  })
  const res = await request(p, fakeContext({ path: '/api/test' }))
  assert.equal(res?.status, 200)
  assert.equal(res?.headers['content-type'], 'application/json')
  assert.deepEqual(res?.headers['x-a'], ['1', '2'])
  assert.equal(await request(p, fakeContext({ path: '/api/test/x' })), undefined)
})

test('mock waits `delay` before answering', async () => {
  const p = plugin({ category: 'mock', delay: '30ms', data: 'late' })
  const started = performance.now()
  const out = p.onRequest!(fakeContext())
  assert.ok(out instanceof Promise)
  assert.equal(text(await out), 'late')
  assert.ok(performance.now() - started >= 25)
})

test('mock refuses bad options with their paths', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ status: 1000 }, 'plugins.m.status'],
    [{ status: '200' }, 'plugins.m.status'],
    [{ headers: ['no colon'] }, 'plugins.m.headers[0]'],
    [{ delay: 'later' }, 'plugins.m.delay'],
    [{ body: 'x' }, 'plugins.m.body'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'mock', ...raw }, 'm'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
