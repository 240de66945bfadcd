import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/core/errors.ts'
import { hashConfig } from '../../../src/core/hash.ts'
import type { LocationConf } from '../../../src/config/types.ts'
import { compileLocation } from '../../../src/router/location.ts'
import { NO_VARIABLES } from '../../../src/router/types.ts'
import { routeInput } from './route-input.ts'

function matches(conf: LocationConf, ...args: Parameters<typeof routeInput>): boolean {
  return compileLocation('l', conf).match(routeInput(...args)) !== null
}

function throwsAt(conf: LocationConf, path: string, detail: RegExp): void {
  assert.throws(
    () => compileLocation('l', conf),
    (err: unknown) => err instanceof ConfigError && err.path === path && detail.test(err.message),
    JSON.stringify(conf),
  )
}

test('host entries: exact (case-insensitive), *.domain (subdomains only), ~regex, lists (spec §14 items 7, 8)', () => {
  const cases: Array<[host: string, requestHost: string, want: boolean]> = [
    ['example.com', 'example.com', true],
    ['EXAMPLE.com', 'example.com', true],
    ['example.com', 'www.example.com', false],
    ['*.example.com', 'a.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'evil-example.com', false],
    ['*.example.com', 'example.com.evil.net', false],
    ['*.EXAMPLE.com', 'a.example.com', true],
    ['~example', 'www.example.org', true],
    ['~^api\\.', 'www.api.com', false],
    ['a.com, b.com', 'b.com', true],
    [' a.com ,, *.b.com ', 'x.b.com', true],
    ['a.com,b.com', 'c.com', false],
    ['', 'anything', true],
    [' , ', 'anything', true],
  ]
  for (const [host, requestHost, want] of cases) {
    assert.equal(matches({ host }, '/', { host: requestHost }), want, `${host} vs ${requestHost}`)
  }
})

test('invalid wildcards are config errors naming the key (spec Q18: caught at load, not later)', () => {
  for (const host of ['*.', '*.*', '*.*.example.com', 'a.com,*.']) {
    throwsAt({ host }, 'locations.l.host', /not a valid wildcard/)
  }
  throwsAt({ host: '~(a' }, 'locations.l.host', /invalid regex/)
  throwsAt({ path: '~(?=x)' }, 'locations.l.path', /look-around/)
  throwsAt({ rewrite: '(a)\\1 /x' }, 'locations.l.rewrite', /back-references/)
})

test('path rules: any, prefix (raw starts-with), = exact, ~ unanchored regex; values trimmed (spec §14 items 9, 10)', () => {
  const cases: Array<[path: string | undefined, requestPath: string, want: boolean]> = [
    [undefined, '/x', true],
    ['', '/x', true],
    ['   ', '/x', true],
    ['/', '/anything', true],
    ['/api', '/api', true],
    ['/api', '/apix', true],
    ['/api', '/api/x', true],
    ['/api', '/ap', false],
    [' /api ', '/api/x', true],
    ['=/api', '/api', true],
    ['=/api', '/api/', false],
    ['= /api', '/api', true],
    [' =  /api ', '/api', true],
    ['~/users', '/api/users', true],
    ['~^/users', '/api/users', false],
    ['~ \\.php$', '/index.php', true],
    ['~ \\.php$', '/index.php5', false],
  ]
  for (const [path, requestPath, want] of cases) {
    const conf: LocationConf = path === undefined ? {} : { path }
    assert.equal(matches(conf, requestPath), want, `${path} vs ${requestPath}`)
  }
})

test('match_headers / match_query / match_cookies: name:value equality or presence (spec §14 items 12, 13)', () => {
  const headers: LocationConf = { match_headers: ['X-Version:2', 'x-canary'] }
  assert.equal(matches(headers, '/', { headers: { 'x-version': '2', 'x-canary': '' } }), true)
  assert.equal(matches(headers, '/', { headers: { 'x-version': '2' } }), false)
  assert.equal(matches(headers, '/', { headers: { 'x-version': '3', 'x-canary': '1' } }), false)
  assert.equal(
    matches({ match_headers: ['x-version: 2'] }, '/', { headers: { 'x-version': '2' } }),
    true,
  )

  const both: LocationConf = { match_query: ['ver:2'], match_cookies: ['session'] }
  assert.equal(
    matches(both, '/', { query: 'a=1&ver=2', headers: { cookie: 'x=1; session=abc' } }),
    true,
  )
  assert.equal(matches(both, '/', { query: 'ver=2' }), false)
  assert.equal(matches(both, '/', { query: 'ver=3', headers: { cookie: 'session=abc' } }), false)
  assert.equal(
    matches(both, '/', { query: 'ver=3&ver=2', headers: { cookie: 'session=abc' } }),
    false,
  )
  assert.equal(matches(both, '/', { query: 'ver=%32', headers: { cookie: 'session=abc' } }), false)
  assert.equal(matches({ match_query: ['flag'] }, '/', { query: 'flag' }), true)
  assert.equal(matches({ match_query: ['flag'] }, '/', { query: 'flags=1' }), false)
  assert.equal(matches({ match_cookies: ['s:1'] }, '/', { headers: { cookie: 's=1' } }), true)
  assert.equal(matches({ match_cookies: ['s:1'] }, '/', { headers: { cookie: 's=2' } }), false)

  throwsAt({ match_headers: ['ok', ':v'] }, 'locations.l.match_headers[1]', /name:value/)
  throwsAt({ match_headers: ['bad name:1'] }, 'locations.l.match_headers[0]', /valid header name/)
  throwsAt({ match_query: [''] }, 'locations.l.match_query[0]', /name:value/)
})

test('regex captures of path and host become variables; host wins a name clash (spec §14 item 16)', () => {
  const location = compileLocation('l', {
    host: '~^(?<up>[a-z]+)\\.example\\.com$',
    path: '~^/(?P<ver>v\\d)/(?<up>[a-z]+)?',
  })
  const variables = location.match(routeInput('/v1/x', { host: 'api.example.com' }))
  assert.deepEqual(
    [...(variables ?? [])],
    [
      ['ver', 'v1'],
      ['up', 'api'],
    ],
  )
  const optional = compileLocation('l', { path: '~^/(?<a>x)?(?<b>y)' }).match(routeInput('/y'))
  assert.deepEqual([...(optional ?? [])], [['b', 'y']])
})

test('a match without captures returns the shared NO_VARIABLES map (no allocation)', () => {
  for (const conf of [
    {},
    { path: '/api', host: 'example.com' },
    { path: '~^/api' },
    { host: '~example' },
  ]) {
    assert.equal(
      compileLocation('l', conf).match(routeInput('/api')),
      NO_VARIABLES,
      JSON.stringify(conf),
    )
  }
})

test('the compiled location carries name, weight, hash, host summary and rewriter', () => {
  const conf: LocationConf = { host: 'A.com,*.b.com,~^c', path: '/api', rewrite: '^/api/ /' }
  const location = compileLocation('api', conf)
  assert.equal(location.name, 'api')
  assert.equal(location.conf, conf)
  assert.equal(location.weight, 512 + 4 + conf.host!.length)
  assert.equal(location.hash, hashConfig(conf))
  assert.deepEqual(location.hosts, {
    exact: ['a.com'],
    suffixes: ['.b.com'],
    hasRegex: true,
    any: false,
  })
  assert.equal(location.rewriter?.rewrite('/api/x', undefined)?.path, '/x')
  assert.equal(compileLocation('x', {}).rewriter, null)
  assert.deepEqual(compileLocation('x', {}).hosts, {
    exact: [],
    suffixes: [],
    hasRegex: false,
    any: true,
  })
  assert.ok(Object.isFrozen(location))
})

test('an explicit weight must be a u16', () => {
  assert.equal(compileLocation('l', { weight: 65535 }).weight, 65535)
  for (const weight of [-1, 65536, 1.5, Number.NaN]) {
    throwsAt({ weight }, 'locations.l.weight', /integer from 0 to 65535/)
  }
})
