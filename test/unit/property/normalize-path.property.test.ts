/**
 * Properties of the one path normaliser (decisions §3, hostile-catalogue §2.5, G1): idempotent;
 * its output is canonical (no empty, `.` or `..` segment, no backslash, no NUL, no escape of an
 * unreserved character); and what an RFC 3986 backend resolves the output to is the output
 * itself, so a path matched under a location's prefix cannot land outside it upstream.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { normalizePath } from '../../../src/router/normalize-path.ts'

const TOKENS = [
  '/',
  '/',
  '/',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%2f',
  '%2F',
  '%5c',
  '\\',
  '%00',
  '%',
  '%zz',
  '%25',
  '%252e',
  '%61',
  'admin',
  'static',
  'a',
  ';x',
  '?',
  '%7E',
  '~',
  '%C0%AE',
  'é',
  ' ',
]

const rawPath = fc
  .array(fc.constantFrom(...TOKENS), { maxLength: 12 })
  .map((parts) => `/${parts.join('')}`)
const anyPath = fc.oneof(
  rawPath,
  fc.string({ maxLength: 40 }).map((s) => `/${s}`),
)

/** RFC 3986 §6.2.2.2 + §5.2.4: decode unreserved escapes, then remove dot segments. */
function resolveLikeBackend(path: string): string {
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16))
    return /[A-Za-z0-9._~-]/.test(c) ? c : escape
  })
  const out: string[] = []
  const segments = decoded.split('/').slice(1)
  segments.forEach((s, i) => {
    if (s === '.' || s === '..') {
      if (s === '..') out.pop()
      if (i === segments.length - 1) out.push('')
    } else out.push(s)
  })
  return `/${out.join('/')}`
}

test('property: normalizePath is idempotent and canonical', () => {
  fc.assert(
    fc.property(anyPath, (p) => {
      const n = normalizePath(p)
      if (n === null) return
      assert.equal(normalizePath(n), n, `not idempotent: ${JSON.stringify(p)}`)
      assert.ok(n.startsWith('/'))
      assert.ok(!n.includes('//'), n)
      assert.ok(!n.includes('\\') && !n.includes('\0'), n)
      for (const segment of n.split('/')) assert.ok(segment !== '.' && segment !== '..', n)
      assert.ok(!/%(?:2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])/.test(n), n)
    }),
    { numRuns: 5_000 },
  )
})

test('property: no input escapes the prefix it was matched under', () => {
  const prefixes = ['/static/', '/admin', '/a/']
  fc.assert(
    fc.property(anyPath, (p) => {
      const n = normalizePath(p)
      if (n === null) return
      const upstream = resolveLikeBackend(n)
      assert.equal(upstream, n, `the backend resolves ${n} to ${upstream}`)
      for (const prefix of prefixes) {
        if (!n.startsWith(prefix)) {
          assert.ok(!upstream.startsWith(prefix), `${JSON.stringify(p)} reaches ${prefix}`)
        }
      }
    }),
    { numRuns: 5_000 },
  )
})
