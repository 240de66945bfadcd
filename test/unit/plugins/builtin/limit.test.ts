import assert from 'node:assert/strict'
import { afterEach, beforeEach, mock, test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { RateWindows } from '../../../../src/plugins/builtin/rate-window.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

beforeEach(() => mock.timers.enable({ apis: ['Date'], now: 1_000_000 }))
afterEach(() => mock.timers.reset())

test('rate limit: the second request within the window → 429 exceed limit 2/1 with Retry-After', async () => {
  const p = plugin({ category: 'limit', type: 'rate', max: 1, interval: '1s', weight: 100 })
  assert.equal(await request(p, fakeContext({ clientIp: '10.0.0.1' })), undefined)
  mock.timers.tick(300)
  const res = await request(p, fakeContext({ clientIp: '10.0.0.1' }))
  assert.equal(res?.status, 429)
  assert.equal(text(res), 'Plugin limit, exceed limit 2/1')
  assert.equal(res?.headers['retry-after'], '1')
  // Another client has its own budget.
  assert.equal(await request(p, fakeContext({ clientIp: '10.0.0.2' })), undefined)
  // The next window starts afresh (weight 100 ignores the previous window).
  mock.timers.tick(1000)
  assert.equal(await request(p, fakeContext({ clientIp: '10.0.0.1' })), undefined)
})

test('rate limit: an empty key is never limited', async () => {
  const p = plugin({ category: 'limit', tag: 'header', key: 'X-User', max: 0, interval: '1s' })
  for (let i = 0; i < 5; i++) assert.equal(await request(p, fakeContext()), undefined)
  assert.equal((await request(p, fakeContext({ headers: { 'x-user': 'u' } })))?.status, 429)
})

test('rate limit keys: cookie and query', async () => {
  const byCookie = plugin({
    category: 'limit',
    tag: 'cookie',
    key: 'sid',
    max: 1,
    interval: '10s',
    weight: 100,
  })
  const c = () => fakeContext({ headers: { cookie: 'a=1; sid=s1' } })
  assert.equal(await request(byCookie, c()), undefined)
  assert.equal((await request(byCookie, c()))?.status, 429)
  const byQuery = plugin({
    category: 'limit',
    tag: 'query',
    key: 'app',
    max: 1,
    interval: '10s',
    weight: 100,
  })
  assert.equal(await request(byQuery, fakeContext({ query: 'app=x' })), undefined)
  assert.equal((await request(byQuery, fakeContext({ query: 'app=x' })))?.status, 429)
  assert.equal(await request(byQuery, fakeContext({ query: 'app=y' })), undefined)
})

test('rate window estimate mixes the previous and current windows by weight', () => {
  const windows = new RateWindows(1000, 0.5)
  for (let i = 0; i < 4; i++) windows.observe('k', 500)
  // Next window: previous 4, current 1 → 4 × 0.5 + 1 × 0.5.
  assert.equal(windows.observe('k', 1500), 2.5)
  // Two windows later the old count is gone.
  assert.equal(windows.observe('k', 3500), 0.5)
  const previousOnly = new RateWindows(1000, 0)
  assert.equal(previousOnly.observe('k', 0), 0)
  assert.equal(previousOnly.observe('k', 1000), 1)
})

test('rate windows stay bounded under many distinct keys', () => {
  const windows = new RateWindows(1000, 1, 100)
  for (let i = 0; i < 1000; i++) windows.observe(`k${i}`, 0)
  assert.ok(windows.size <= 100)
})

test('inflight limit max=0 refuses every request', async () => {
  const p = plugin({ category: 'limit', type: 'inflight', max: 0 })
  const res = await request(p, fakeContext())
  assert.equal(res?.status, 429)
  assert.equal(text(res), 'Plugin limit, exceed limit 1/0')
})

test('inflight limit counts concurrent requests and releases them when the request is done', async () => {
  const p = plugin({ category: 'limit', type: 'inflight', max: 2 })
  const first = fakeContext()
  const second = fakeContext()
  assert.equal(await request(p, first), undefined)
  assert.equal(await request(p, second), undefined)
  const refused = fakeContext()
  assert.equal(text(await request(p, refused)), 'Plugin limit, exceed limit 3/2')
  p.onDone!(refused) // a refused request holds nothing
  p.onDone!(first)
  p.onDone!(first) // a second call must not release twice
  assert.equal(await request(p, fakeContext()), undefined)
  assert.equal((await request(p, fakeContext()))?.status, 429)
})

test('limit refuses bad options with their paths', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ tag: 'body' }, 'plugins.l.tag'],
    [{ weight: 101 }, 'plugins.l.weight'],
    [{ max: -1 }, 'plugins.l.max'],
    [{ interval: '0s' }, 'plugins.l.interval'],
    [{ value: 1 }, 'plugins.l.value'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'limit', ...raw }, 'l'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
