import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError } from '../../../src/core/errors.ts'
import { compileUserRegex } from '../../../src/router/regex.ts'

const KEY = 'locations.api.path'

function rejects(pattern: string, reason: RegExp, flags?: string): void {
  assert.throws(
    () => compileUserRegex(pattern, KEY, flags),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.code === 'PGT_ERR_CONFIG_REGEX' &&
      err.path === KEY &&
      err.message.includes(pattern) &&
      reason.test(err.message),
    pattern,
  )
}

test('Rust syntax is translated: (?P<name>), leading (?i), \\A and \\z, \\x{..}, POSIX classes', () => {
  const cases: Array<[pattern: string, input: string, matches: boolean]> = [
    ['^/(?P<ver>v[0-9]+)/', '/v2/x', true],
    ['(?i)^/API/', '/api/x', true],
    ['(?i)^/api/', '/ApI/x', true],
    ['(?i)^/[a-c]+$', '/AbC', true],
    ['(?i)^/[^a]$', '/A', false],
    ['(?i)^/[^a]$', '/b', true],
    ['^/(?i:abc)d$', '/ABCd', true],
    ['^/(?i:abc)d$', '/ABCD', false],
    ['^/a(?i)b$', '/aB', true],
    ['^/a(?i)b$', '/AB', false],
    ['\\A/x\\z', '/x', true],
    ['\\A/x\\z', '/x/', false],
    ['\\A/x', 'A/x', false],
    ['^/\\x{41}$', '/A', true],
    ['^/[[:alpha:]]+$', '/abcXYZ', true],
    ['^/[[:alpha:]]+$', '/ab1', false],
    ['^/[[:digit:][:lower:]]+$', '/a1b2', true],
    ['(?i)^/[[:lower:]]+$', '/ABC', true],
    ['^/[]a]+$', '/]a]', true],
    ['(?i)^/[\\x41-\\x43]+$', '/abc', true],
    ['^/[a-]+$', '/a-a', true],
    ['^/[\\]]$', '/]', true],
    ['^/[[:punct:]]$', '/!', true],
    ['^/[[:punct:]]$', '/a', false],
    ['^/[\\d-]+$', '/1-2', true],
    ['(?i)^/[^[:lower:]]$', '/A', false],
    ['^/a{2}$', '/aa', true],
    ['^/\\{x\\}$', '/{x}', true],
    ['(?s)^a.b$', 'a\nb', true],
    ['(?m)^b$', 'a\nb', true],
  ]
  for (const [pattern, input, matches] of cases) {
    assert.equal(compileUserRegex(pattern, KEY).test(input), matches, `${pattern} vs ${input}`)
  }
})

test('named groups keep their spelling under (?i)', () => {
  const m = compileUserRegex('(?i)^(?P<Up>[a-z]+)\\.example\\.com$', KEY).exec('API.example.COM')
  assert.equal(m?.groups?.['Up'], 'API')
})

test('counted repetitions above the linear engine bound are unrolled with the same meaning', () => {
  const re = compileUserRegex('^\\d{1,20}$', KEY)
  assert.equal(re.test('1'.repeat(20)), true)
  assert.equal(re.test('1'.repeat(21)), false)
  assert.equal(re.test(''), false)
  const hex = compileUserRegex('^/[0-9a-f]{32}$', KEY)
  assert.equal(hex.test('/' + 'a'.repeat(32)), true)
  assert.equal(hex.test('/' + 'a'.repeat(31)), false)
  const atLeast = compileUserRegex('^x{18,}$', KEY)
  assert.equal(atLeast.test('x'.repeat(17)), false)
  assert.equal(atLeast.test('x'.repeat(40)), true)
  const lazy = compileUserRegex('^(?P<head>a{1,20}?)(?P<tail>a*)$', KEY).exec('aaaa')
  assert.equal(lazy?.groups?.['head'], 'a')
  const folded = compileUserRegex('(?i)^[a-f]{20}$', KEY)
  assert.equal(folded.test('ABCDEFabcdefABCDEFab'), true)
})

test('patterns that need backtracking or other unsupported syntax are refused, naming the key', () => {
  rejects('(a)\\1', /back-references/)
  rejects('(?P<x>a)(?P=x)', /back-references/)
  rejects('foo(?=bar)', /look-around/)
  rejects('(?<!a)b', /look-around/)
  rejects('\\p{L}+', /Unicode classes/)
  rejects('[a[b]]', /nested character classes/)
  rejects('[a-z&&[^aeiou]]', /class set operations/)
  rejects('(?x) a b', /inline flag "x"/)
  rejects('a(?m)b', /inline flag "m"/)
  rejects('(a){20}', /capture group/)
  rejects('(?:a{1,10}){1,10}', /linear time/)
  rejects('(abc', /not closed/)
  rejects('abc)', /unbalanced/)
  rejects('*a', /nothing to repeat/)
  rejects('a{3,2}', /minimum is above the maximum/)
  rejects('[abc', /not closed/)
  rejects('\\', /lone backslash/)
  rejects('x', /unsupported flags/, 'u')
})

// No timing assertion (decisions §6). Unprotected, V8's backtracking engine needs seconds for one
// call with 30 `a`s and doubles per extra character. A stalled regex cannot be interrupted from
// its own thread, so the checks run in a child process that is killed at the deadline.
test('catastrophic patterns finish: ^(a+)+$ and friends cannot stall the event loop', () => {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  const moduleUrl = new URL(`../../../src/router/regex${ext}`, import.meta.url).href
  const script = `
    import { compileUserRegex } from ${JSON.stringify(moduleUrl)}
    const evil = 'a'.repeat(34) + 'b'
    const results = [
      compileUserRegex('^(a+)+$', 'k').test(evil),
      compileUserRegex('(?i)^(a+)+$', 'k').test('A'.repeat(34) + 'b'),
      compileUserRegex('^(a|a)*$', 'k').test('a'.repeat(40) + 'b'),
      compileUserRegex('^(\\w+\\s?)*$', 'k').test('a'.repeat(60) + '!'),
    ]
    const again = compileUserRegex('^(a+)+$', 'k')
    for (let i = 0; i < 200; i++) results.push(again.test(evil))
    process.stdout.write(JSON.stringify(results))
  `
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  assert.equal(result.signal, null, 'the regexes did not finish before the deadline')
  assert.equal(result.status, 0, result.stderr)
  const results = JSON.parse(result.stdout) as boolean[]
  assert.equal(results.length, 204)
  assert.ok(results.every((r) => r === false))
})

test('flags i, m, s, g and y are accepted from callers', () => {
  assert.equal(compileUserRegex('^abc$', KEY, 'i').test('ABC'), true)
  assert.equal(compileUserRegex('x', KEY, 'g').global, true)
})
