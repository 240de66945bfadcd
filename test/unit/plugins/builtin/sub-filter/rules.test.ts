import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../../../src/core/errors.ts'
import {
  applyRules,
  jsReplacement,
  parseRule,
} from '../../../../../src/plugins/builtin/sub-filter/rules.ts'
import { foldCase } from '../../../../../src/plugins/builtin/sub-filter/fold.ts'

const run = (entries: string[], text: string): string =>
  applyRules(
    entries.map((e, i) => parseRule(e, `f[${i}]`)),
    text,
  )

test('sub_filter replaces literal text, first occurrence unless g', () => {
  assert.equal(run(["sub_filter 'foo' 'bar' g"], 'foo foo'), 'bar bar')
  assert.equal(run(["sub_filter 'foo' 'bar'"], 'foo foo'), 'bar foo')
  assert.equal(run(["sub_filter 'a.b' '$1$&' g"], 'a.b axb'), '$1$& axb')
  assert.equal(run(["sub_filter 'FOO' 'x' gi"], 'foo Foo'), 'x x')
})

test('subs_filter replaces patterns with Pingap-style groups', () => {
  assert.equal(run(["subs_filter 'h(\\d+)' 'H$1' g"], 'h1 h22'), 'H1 H22')
  assert.equal(run(["subs_filter '(?<w>[a-z]+)@' '${w} at ' g"], 'me@x you@y'), 'me at x you at y')
  assert.equal(run(["subs_filter 'HELLO' 'bye' i"], 'Hello hello'), 'bye hello')
  assert.equal(run(["sub_filter 'a' 'b' g", "sub_filter 'b' 'c' g"], 'ab'), 'cc')
})

test('jsReplacement translates $n, ${n}, $name, ${name} and $$', () => {
  assert.equal(jsReplacement('$1-${2}-$name-${name}-$$-$'), '$1-$2-$<name>-$<name>-$$-$$')
  assert.equal(jsReplacement('cost: 5$'), 'cost: 5$$')
})

test('bad rules are config errors at their index', () => {
  for (const bad of [
    'sub_filter foo bar',
    "replace 'a' 'b'",
    "sub_filter '' 'b'",
    "sub_filter 'a' 'b' x",
    "sub_filter 'a' 'b' gg",
    "subs_filter '(a' 'b'",
    "subs_filter '(a)\\1' 'b'",
  ]) {
    assert.throws(
      () => parseRule(bad, 'plugins.s.filters[3]'),
      (err: unknown) => err instanceof ConfigError && err.path === 'plugins.s.filters[3]',
      bad,
    )
  }
})

test('foldCase spells out both cases, leaving escapes and group names alone', () => {
  const cases: Array<[string, string]> = [
    ['ab', '[aA][bB]'],
    ['a\\d+', '[aA]\\d+'],
    ['[a-f0-9]', '[a-f0-9A-F]'],
    ['[^x]', '[^xX]'],
    ['(?<word>z)\\k<word>', '(?<word>[zZ])\\k<word>'],
    ['\\u0041b', '\\u0041[bB]'],
  ]
  for (const [src, want] of cases) assert.equal(foldCase(src), want, src)
})
