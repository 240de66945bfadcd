import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileRewrite } from '../../../src/router/rewrite.ts'

test('rewrite follows spec §2.5 (split rules, first match only, Rust replacement syntax)', () => {
  const cases: Array<[rule: string, path: string, want: string | undefined]> = [
    ['^/api/(.*)$ /$1', '/api/x', '/x'], // spec §14 item 14
    ['^/api', '/api/users', '/users'], // item 15: no replacement strips the match
    ['^/api/ /', '/api/charts/x', '/charts/x'],
    ['^/old/(.*) /new/$1', '/old/a/b', '/new/a/b'],
    ['^/users/(?<upstream>.*?)/(.*)$ /$2', '/users/rest/me', '/me'],
    ['^/(?P<a>[a-z]+)/(?P<b>[a-z]+) /${b}/${a}', '/x/y', '/y/x'],
    ['^/(?P<a>[a-z]+) /$a-$a', '/x', '/x-x'],
    ['^/(\\d+) /${1}0', '/7', '/70'],
    ['^/(\\d+) /$1a', '/7', '/'], // Rust reads `$1a` as the (missing) group "1a"
    ['^/(\\d+) /$9', '/7', '/'],
    ['^/(\\d+) /$$1', '/7', '/$1'],
    ['^/x /$', '/x', '/$'],
    ['^/x /${', '/x', '/${'],
    ['a b', '/a/a', '/b/a'], // first match only
    ['^/nomatch /x', '/api', undefined],
    ['^/api /api', '/api/x', undefined], // unchanged → undefined
    ['^/a /b /c', '/a/x', '/x'], // more than two parts → empty replacement
    ['/$1', '/anything', '/$1'], // one part with `$` → whole path, verbatim
    ['.* /fixed', '/anything', '/fixed'],
    ['.* /fixed$1', '/anything', '/fixed$1'],
  ]
  for (const [rule, path, want] of cases) {
    assert.equal(
      compileRewrite(rule, 'locations.l.rewrite').rewrite(path, undefined)?.path,
      want,
      `${rule} on ${path}`,
    )
  }
})

test('named groups of the rewrite regex are returned as captures', () => {
  const result = compileRewrite('^/users/(?<upstream>.*?)/(.*)$ /$2', 'k').rewrite(
    '/users/rest/me',
    undefined,
  )
  assert.deepEqual([...(result?.captures ?? [])], [['upstream', 'rest']])
  assert.equal(
    compileRewrite('^/api/(.*)$ /$1', 'k').rewrite('/api/x', undefined)?.captures,
    undefined,
  )
})

test('request variables are substituted through $name / ${name}, not by bare name (quirk Q10)', () => {
  const variables = new Map([
    ['up', 'rest'],
    ['ver', 'v2'],
  ])
  const cases: Array<[rule: string, path: string, want: string | undefined]> = [
    ['^/api/(.*)$ /$up/$1', '/api/x', '/rest/x'],
    ['^/api/(.*)$ /${ver}/$1', '/api/x', '/v2/x'],
    ['^/api/(.*)$ /up/$1', '/api/x', '/up/x'], // bare text stays text (Pingap would paste "rest")
    ['^/api/(?<up>.*)$ /$up', '/api/x', '/x'], // the rewrite's own group wins
    ['^/api/(.*)$ /$nosuch/$1', '/api/x', '//x'],
    ['/$up/fixed', '/anything', '/rest/fixed'],
    ['/${ver}$nosuch', '/anything', '/v2$nosuch'], // verbatim mode keeps unresolved references
  ]
  for (const [rule, path, want] of cases) {
    assert.equal(compileRewrite(rule, 'k').rewrite(path, variables)?.path, want, rule)
  }
})
