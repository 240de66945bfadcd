/**
 * Properties of Pingap's location weight (spec §2.3): an independent restatement of the rule is
 * the oracle; the result is always a u16; an explicit weight wins; `=` beats prefix beats `~`.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { locationWeight } from '../../../src/router/weight.ts'

function oracle(conf: { weight?: number; path?: string; host?: string }): number {
  if (conf.weight !== undefined) return conf.weight % 65_536
  const enc = new TextEncoder()
  const path = conf.path ?? ''
  const pathLen = enc.encode(path).length
  let w = 0
  if (pathLen > 1) {
    w += path[0] === '=' ? 1024 : path[0] === '~' ? 256 : 512
    w += pathLen < 64 ? pathLen : 64
  }
  const host = conf.host ?? ''
  if (host.length > 0) {
    w += host.split(',').some((h) => h[0] === '~') ? enc.encode(host).length : 128
  }
  return w % 65_536
}

const text = fc.string({ unit: 'grapheme', maxLength: 80 })
const conf = fc.record(
  {
    weight: fc.integer({ min: 0, max: 65_535 }),
    path: fc.oneof(
      text,
      text.map((t) => `=${t}`),
      text.map((t) => `~${t}`),
      text.map((t) => `/${t}`),
    ),
    host: fc.oneof(
      text,
      text.map((t) => `~${t}`),
      fc.constant('a.test,~^b'),
    ),
  },
  { requiredKeys: [] },
)

test('property: locationWeight follows the rule and stays a u16', () => {
  fc.assert(
    fc.property(conf, (c) => {
      const w = locationWeight(c)
      assert.equal(w, oracle(c))
      assert.ok(Number.isInteger(w) && w >= 0 && w <= 0xffff)
    }),
    { numRuns: 2_000 },
  )
})

test('property: with the same path text and host, = outranks prefix outranks ~', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 2, maxLength: 100 }),
      fc.option(fc.constantFrom('a.test', '~^a')),
      (p, host) => {
        const h = host ?? undefined
        const body = `/${p}`
        const exact = locationWeight({ path: `=${body}`, ...(h !== undefined ? { host: h } : {}) })
        const prefix = locationWeight({ path: body, ...(h !== undefined ? { host: h } : {}) })
        const regex = locationWeight({ path: `~${body}`, ...(h !== undefined ? { host: h } : {}) })
        assert.ok(exact > prefix && prefix > regex, `${exact} ${prefix} ${regex}`)
      },
    ),
  )
})
