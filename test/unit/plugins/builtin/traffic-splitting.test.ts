import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request } from './support.ts'

async function share(
  raw: Record<string, unknown>,
  n: number,
  ctx = () => fakeContext(),
): Promise<number> {
  const p = plugin({ category: 'traffic_splitting', upstream: 'canary', ...raw })
  let hits = 0
  for (let i = 0; i < n; i++) {
    const c = ctx()
    assert.equal(await request(p, c), undefined)
    if (c.upstreamOverride === 'canary') hits++
  }
  return hits
}

test('traffic_splitting weight 100 sends everything, weight 0 nothing', async () => {
  assert.equal(await share({ weight: 100 }, 200), 200)
  assert.equal(await share({ weight: 0 }, 200), 0)
})

test('traffic_splitting sticky by cookie gives the same decision for the same value', async () => {
  const p = plugin({
    category: 'traffic_splitting',
    upstream: 'canary',
    weight: 50,
    stickiness: true,
    sticky_cookie: 'uid',
  })
  let selected = 0
  for (let user = 0; user < 50; user++) {
    const decisions = new Set<string | undefined>()
    for (let i = 0; i < 5; i++) {
      const ctx = fakeContext({ headers: { cookie: `uid=user-${user}` } })
      await request(p, ctx)
      decisions.add(ctx.upstreamOverride)
    }
    assert.equal(decisions.size, 1, `user-${user}`)
    if (decisions.has('canary')) selected++
  }
  assert.ok(selected > 0 && selected < 50)
  // A missing sticky value is never selected.
  const none = fakeContext()
  await request(p, none)
  assert.equal(none.upstreamOverride, undefined)
})

test('traffic_splitting with a matcher selects matching sticky values only', async () => {
  const raw = { weight: 1, stickiness: true, sticky_header: 'X-Tier', matcher: '^beta' }
  assert.equal(await share(raw, 3, () => fakeContext({ headers: { 'x-tier': 'beta-1' } })), 3)
  assert.equal(await share(raw, 3, () => fakeContext({ headers: { 'x-tier': 'stable' } })), 0)
})

test('traffic_splitting resolves $variables in the upstream name', async () => {
  const p = plugin({ category: 'traffic_splitting', upstream: '$up', weight: 100 })
  const ctx = fakeContext({ variables: new Map([['up', 'blue']]) })
  await request(p, ctx)
  assert.equal(ctx.upstreamOverride, 'blue')
})

test('traffic_splitting needs an upstream, a weight in 0..100 and a sticky source when sticky', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{}, 'plugins.ts.upstream'],
    [{ upstream: 'x', weight: 101 }, 'plugins.ts.weight'],
    [{ upstream: 'x', stickiness: true }, 'plugins.ts.stickiness'],
    [{ upstream: 'x', matcher: '(?=x)' }, 'plugins.ts.matcher'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'traffic_splitting', ...raw }, 'ts'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})
