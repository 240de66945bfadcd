import { test } from 'node:test'
import assert from 'node:assert/strict'
import { locationWeight } from '../../../src/router/weight.ts'

test('locationWeight follows the Pingap rule', () => {
  const cases: Array<{ conf: { path?: string; host?: string; weight?: number }; want: number }> = [
    // architecture §2.14
    { conf: {}, want: 0 },
    { conf: { path: '/' }, want: 0 },
    { conf: { path: '/api' }, want: 512 + 4 },
    { conf: { path: '= /api' }, want: 1024 + 6 },
    { conf: { path: '~ ^/api' }, want: 256 + 7 },
    { conf: { host: 'pingap.io' }, want: 128 },
    { conf: { host: '~^(?<user>.+)\\.pingap\\.io$' }, want: 26 },
    { conf: { path: '/api', host: 'pingap.io' }, want: 512 + 4 + 128 },
    { conf: { path: '/api', weight: 7 }, want: 7 },
    // spec §2.3 examples
    { conf: { path: '=/api' }, want: 1029 },
    { conf: { path: '~/api' }, want: 261 },
    { conf: { host: 'github.com' }, want: 128 },
    { conf: { host: '~github.com' }, want: 11 },
    // spec §14 items 1, 3, 5
    { conf: { path: '=/a' }, want: 1027 },
    { conf: { path: '/a' }, want: 514 },
    { conf: { path: '~^/api' }, want: 262 },
    { conf: { path: '/', weight: 2000 }, want: 2000 },
    // edges of the rule
    { conf: { path: '' }, want: 0 },
    { conf: { path: '=' }, want: 0 },
    { conf: { path: '/a'.repeat(40) }, want: 512 + 64 },
    { conf: { path: '/é' }, want: 512 + 3 }, // bytes, as Rust's len()
    { conf: { host: '' }, want: 0 },
    { conf: { host: 'a.com,*.b.com' }, want: 128 },
    { conf: { host: 'a.com,~^b' }, want: 9 },
    { conf: { host: 'a.com, ~^b' }, want: 128 }, // Pingap tests the untrimmed entries
    { conf: { weight: 0, path: '=/api' }, want: 0 },
    { conf: { weight: 65535 }, want: 65535 },
    { conf: { host: '~' + 'x'.repeat(70000) }, want: 70001 & 0xffff }, // u16 wraps
  ]
  for (const { conf, want } of cases) {
    assert.equal(locationWeight(conf), want, JSON.stringify(conf).slice(0, 80))
  }
})
