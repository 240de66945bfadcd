import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request } from './support.ts'

test('accept_encoding rebuilds the header in the configured order', async () => {
  const one = plugin({
    category: 'accept_encoding',
    encodings: 'zstd, br, gzip',
    only_one_encoding: true,
  })
  const all = plugin({ category: 'accept_encoding', encodings: ['zstd', 'br', 'gzip'] })
  const cases: Array<[string, string | undefined, string | undefined]> = [
    ['gzip, deflate, br', 'br', 'br, gzip'],
    ['br;q=0, gzip', 'gzip', 'gzip'],
    ['deflate', undefined, undefined],
    ['x-gzip', undefined, undefined],
    ['GZIP;q=0.5, zstd', 'zstd', 'zstd, gzip'],
    ['gzip;q=0.0', undefined, undefined],
  ]
  for (const [header, wantOne, wantAll] of cases) {
    const a = fakeContext({ headers: { 'accept-encoding': header } })
    await request(one, a)
    assert.equal(a.headers['accept-encoding'], wantOne, header)
    const b = fakeContext({ headers: { 'accept-encoding': header } })
    await request(all, b)
    assert.equal(b.headers['accept-encoding'], wantAll, header)
  }
})

test('accept_encoding leaves requests without the header alone and runs at early_request', async () => {
  const p = plugin({ category: 'accept_encoding', encodings: 'gzip' })
  assert.equal(p.step, 'early_request')
  const ctx = fakeContext({ headers: {} })
  await request(p, ctx)
  assert.equal('accept-encoding' in ctx.headers, false)
})
