import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hostWithoutPort, parseRequestTarget } from '../../../src/proxy/request-target.ts'

test('parseRequestTarget: origin-form, absolute-form, and refusals', () => {
  const cases: Array<[string, ReturnType<typeof parseRequestTarget>]> = [
    ['/a?b=1', { path: '/a', query: 'b=1', authority: undefined, hostHeader: undefined }],
    ['/', { path: '/', query: '', authority: undefined, hostHeader: undefined }],
    [
      'http://B.test:8080/x?q',
      { path: '/x', query: 'q', authority: 'b.test', hostHeader: 'B.test:8080' },
    ],
    ['https://b.test', { path: '/', query: '', authority: 'b.test', hostHeader: 'b.test' }],
    ['http://[::1]:80/', { path: '/', query: '', authority: '[::1]', hostHeader: '[::1]:80' }],
    ['*', undefined],
    ['/a#frag', undefined],
    ['http://b.test/a#f', undefined],
    ['http://evil@b.test/', undefined],
    ['http://a b/', undefined],
    ['ftp://b.test/', undefined],
    ['b.test:443', undefined],
    ['', undefined],
  ]
  for (const [url, want] of cases) assert.deepEqual(parseRequestTarget(url), want, url)
})

test('hostWithoutPort: lower case, no port, no trailing dot, IPv6 brackets kept', () => {
  const cases: Array<[string, string]> = [
    ['A.Test:80', 'a.test'],
    ['a.test.', 'a.test'],
    ['a.test.:8080', 'a.test'],
    ['[::1]:443', '[::1]'],
    ['user@a.test', 'a.test'],
    ['', ''],
  ]
  for (const [host, want] of cases) assert.equal(hostWithoutPort(host), want, host)
})
