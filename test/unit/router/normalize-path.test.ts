import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalizePath } from '../../../src/router/normalize-path.ts'
import { prng, testSeed } from './route-input.ts'

test('normalizePath canonicalises hostile spellings of a path (hostile catalogue G1, G3, G4, G7)', () => {
  const cases: Array<[string, string | null]> = [
    ['/', '/'],
    ['/admin', '/admin'],
    ['//admin', '/admin'],
    ['///admin//x//', '/admin/x/'],
    ['/%61dmin', '/admin'],
    ['/%41DMIN', '/ADMIN'],
    ['/ADMIN', '/ADMIN'],
    ['/./admin', '/admin'],
    ['/x/../admin', '/admin'],
    ['/a/../admin', '/admin'],
    ['/x/%2e%2e/admin', '/admin'],
    ['/x/%2E%2e/admin', '/admin'],
    ['/%2e%2e/x', '/x'],
    ['/x/.%2e/admin', '/admin'],
    ['/admin%2f', '/admin%2F'],
    ['/a/%2E%2E%2Fadmin', '/a/..%2Fadmin'],
    ['/admin;x', '/admin;x'],
    ['/a\\..\\admin', '/a%5C..%5Cadmin'],
    ['/static/..\\..\\etc\\passwd', '/static/..%5C..%5Cetc%5Cpasswd'],
    ['/%252e%252e/admin', '/%252e%252e/admin'],
    ['/static/%c0%ae%c0%ae/etc/passwd', '/static/%C0%AE%C0%AE/etc/passwd'],
    ['/a/b/../../../../etc/passwd', '/etc/passwd'],
    ['/..', '/'],
    ['/../..', '/'],
    ['/a/..', '/'],
    ['/a/b/..', '/a/'],
    ['/a/.', '/a/'],
    ['/a/b/', '/a/b/'],
    ['/.well-known/acme-challenge/x', '/.well-known/acme-challenge/x'],
    ['/%7euser/%5f%2D', '/~user/_-'],
    ['/a%20b', '/a%20b'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/\u00e9', '/\u00e9'],
    ['/static/a.txt%00.png', null],
    ['/a\u0000b', null],
    ['/%', null],
    ['/%2', null],
    ['/%zz', null],
    ['/%2g/x', null],
    ['/ok/%', null],
    ['', null],
    ['admin', null],
    ['*', null],
    ['http://x/admin', null],
  ]
  for (const [input, want] of cases) {
    assert.equal(normalizePath(input), want, JSON.stringify(input))
  }
})

test('a canonical path is returned as the same string (fast path)', () => {
  const path = '/api/v1/users/42'
  assert.equal(normalizePath(path), path)
})

test('normalizePath is idempotent and its output has no dot segments or empty segments', (t) => {
  const seed = testSeed()
  t.diagnostic(`seed ${seed} (replay with ROUTER_SEED=${seed})`)
  const random = prng(seed)
  const alphabet = [
    '/',
    '/',
    '.',
    '..',
    '%',
    '%2e',
    '%2E',
    '%2f',
    '%5c',
    '%41',
    '%7e',
    '%25',
    '%00',
    '\\',
    'a',
    'B',
    '2',
    'e',
    'f',
    'g',
    ';',
    '~',
    '\u00e9',
    '\u0000',
  ]
  let checked = 0
  for (let i = 0; i < 20_000; i++) {
    let raw = random() < 0.9 ? '/' : ''
    const length = Math.floor(random() * 12)
    for (let j = 0; j < length; j++) raw += alphabet[Math.floor(random() * alphabet.length)]
    const once = normalizePath(raw)
    if (once === null) continue
    checked++
    assert.equal(normalizePath(once), once, `seed ${seed}: ${JSON.stringify(raw)}`)
    assert.ok(once.startsWith('/'), `seed ${seed}: ${JSON.stringify(raw)}`)
    assert.ok(
      !/\/\/|\\/.test(once) && !once.includes('\0'),
      `seed ${seed}: ${JSON.stringify(raw)} → ${once}`,
    )
    assert.ok(!once.split('/').some((s) => s === '.' || s === '..'), `seed ${seed}: ${once}`)
    assert.ok(!/%(?![0-9A-F]{2})/.test(once), `seed ${seed}: ${once}`)
  }
  assert.ok(checked > 5_000)
})
