import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  climbsAboveRoot,
  decodeRequestPath,
  redirectPath,
} from '../../../../../src/plugins/builtin/directory/request-path.ts'

test('decodeRequestPath decodes each segment once', () => {
  assert.deepEqual(decodeRequestPath('/a/b%20c/%C3%A9.txt'), {
    ok: true,
    segments: ['a', 'b c', 'é.txt'],
    trailingSlash: false,
  })
  assert.deepEqual(decodeRequestPath('/'), { ok: true, segments: [], trailingSlash: true })
  assert.deepEqual(decodeRequestPath('/.well-known/acme-challenge/t').ok, true)
})

test('decodeRequestPath refuses separators, dot segments, NUL, dotfiles and bad UTF-8', () => {
  for (const path of [
    '/a%2Fb',
    '/..%2Fetc/passwd',
    '/a%5Cb',
    '/%5C..%5C..%5Cetc%5Cpasswd',
    '/a%00.png',
    '/%252e%252e',
    '/%2E%2E',
    '/.env',
    '/.git/config',
    '/%c0%ae%c0%ae/etc/passwd',
  ]) {
    const out = decodeRequestPath(path)
    // `%252e%252e` decodes once to the literal name `%2e%2e`: a harmless (missing) file name.
    if (path === '/%252e%252e') {
      assert.deepEqual(out, { ok: true, segments: ['%2e%2e'], trailingSlash: false })
      continue
    }
    assert.deepEqual(out, { ok: false, reason: 'not-found' }, path)
  }
})

test('climbsAboveRoot spots raw `..` that would leave /', () => {
  const cases: Array<[string, boolean]> = [
    ['/../etc/passwd', true],
    ['/static/../../etc/passwd', true],
    ['/%2e%2e/x', true],
    ['/%2E%2E%2Fetc', false],
    ['/a\\..\\..\\x', true],
    ['/a/../b', false],
    ['/a/./b?x=../..', false],
    ['/file..txt', false],
  ]
  for (const [raw, want] of cases) assert.equal(climbsAboveRoot(raw), want, raw)
})

test('redirectPath never yields a scheme-relative target', () => {
  assert.equal(redirectPath('/docs?x=1', '/fallback'), '/docs')
  assert.equal(redirectPath('//evil.example/docs', '/docs'), '/docs')
  assert.equal(redirectPath('/\\evil.example', '/x'), '/x')
})

test('climbsAboveRoot sees every spelling of `..`, and no `..` in a file extension', () => {
  const cases: Array<[string, boolean]> = [
    ['/.%2e/x', true],
    ['/%2e./x', true],
    ['/%2E%2e/x', true],
    ['/a/.%2E/../x', true],
    ['/a.b.c/d.e', false],
    ['/static/1k.bin', false],
    ['/.well-known/x', false],
  ]
  for (const [raw, want] of cases) assert.equal(climbsAboveRoot(raw), want, raw)
})
