import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

test('referer_restriction allow: missing or unlisted referer → 403; *.domain matches subdomains only', async () => {
  const p = plugin({
    category: 'referer_restriction',
    type: 'allow',
    referer_list: ['example.com', '*.example.org'],
  })
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['not a url', false],
    ['https://a.example.org/x', true],
    ['https://a.b.example.org/', true],
    ['https://example.org/', false],
    ['https://example.com/page', true],
    ['https://EXAMPLE.com:8443/', true],
    ['https://evil.com/?example.com', false],
  ]
  for (const [referer, allowed] of cases) {
    const headers = referer === undefined ? {} : { referer }
    const res = await request(p, fakeContext({ headers }))
    assert.equal(res === undefined, allowed, String(referer))
    if (!allowed) {
      assert.equal(res?.status, 403)
      assert.equal(text(res), 'Request is forbidden')
    }
  }
})

test('referer_restriction deny: listed referers are refused, missing ones pass', async () => {
  const p = plugin({
    category: 'referer_restriction',
    type: 'deny',
    referer_list: ['*.example.com'],
    message: 'no',
  })
  assert.equal(await request(p, fakeContext()), undefined)
  assert.equal(
    text(await request(p, fakeContext({ headers: { referer: 'https://a.example.com/x' } }))),
    'no',
  )
  assert.equal(
    await request(p, fakeContext({ headers: { referer: 'https://example.com/' } })),
    undefined,
  )
})
