import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { compileSafeRegex, PluginOptions } from '../../../src/plugins/conf.ts'

function configError(code: string, path: string, text?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ConfigError, String(err))
    assert.equal(err.code, code)
    assert.equal(err.path, path)
    if (text !== undefined) assert.match(err.message, text)
    return true
  }
}

test('unknown keys are refused with their path and the nearest valid key', () => {
  assert.throws(
    () =>
      new PluginOptions({ category: 'x', hide_credential: true }, 'plugins.a', [
        'hide_credentials',
        'keys',
      ]),
    configError(
      'PGT_ERR_CONFIG_UNKNOWN_KEY',
      'plugins.a.hide_credential',
      /did you mean `hide_credentials`/,
    ),
  )
})

test('a category with one option suggests it even for a distant typo (Pingap sample stats.value)', () => {
  assert.throws(
    () =>
      new PluginOptions({ category: 'stats', value: '/stats' }, 'plugins.performanceStats', [
        'path',
      ]),
    configError(
      'PGT_ERR_CONFIG_UNKNOWN_KEY',
      'plugins.performanceStats.value',
      /did you mean `path`/,
    ),
  )
})

test('category, step and remark are accepted in every table', () => {
  const options = new PluginOptions(
    { category: 'x', step: 'request', remark: 'r', path: '/' },
    'plugins.a',
    ['path'],
  )
  assert.equal(options.string('path'), '/')
})

test('readers return defaults for absent keys and values for present ones', () => {
  const raw = {
    s: 'x',
    b: true,
    i: 7,
    big: 9n,
    d: '1m30s',
    n: 2,
    list: ['a', 'b'],
    csv: 'zstd, br,gzip',
  }
  const o = new PluginOptions(raw, 'plugins.a', Object.keys(raw))
  const cases: Array<[unknown, unknown]> = [
    [o.string('s'), 'x'],
    [o.string('missing', 'dflt'), 'dflt'],
    [o.bool('b'), true],
    [o.bool('missing'), false],
    [o.int('i', 0), 7],
    [o.int('big', 0), 9],
    [o.int('missing', 50), 50],
    [o.duration('d', 0), 90_000],
    [o.duration('n', 0), 2_000],
    [o.duration('missing', 10_000), 10_000],
    [o.stringList('list'), ['a', 'b']],
    [o.stringList('missing'), []],
    [o.stringOrList('csv'), ['zstd', 'br', 'gzip']],
    [o.stringOrList('list'), ['a', 'b']],
  ]
  for (const [got, want] of cases) assert.deepEqual(got, want)
})

test('bad values name the exact key', () => {
  const raw = { s: 1, b: 'yes', i: 1.5, r: 200, d: 'soon', list: ['a', 2], t: 'maybe', req: ' ' }
  const o = new PluginOptions(raw, 'plugins.a', Object.keys(raw))
  const cases: Array<[() => unknown, string]> = [
    [() => o.string('s'), 'plugins.a.s'],
    [() => o.bool('b'), 'plugins.a.b'],
    [() => o.int('i', 0), 'plugins.a.i'],
    [() => o.int('r', 0, 0, 100), 'plugins.a.r'],
    [() => o.duration('d', 0), 'plugins.a.d'],
    [() => o.stringList('list'), 'plugins.a.list[1]'],
    [() => o.oneOf('t', ['allow', 'deny'], 'allow'), 'plugins.a.t'],
    [() => o.required('req'), 'plugins.a.req'],
  ]
  for (const [read, path] of cases)
    assert.throws(read, configError('PGT_ERR_CONFIG_INVALID', path), path)
})

test('oneOf is case-insensitive', () => {
  const o = new PluginOptions({ type: 'DENY' }, 'plugins.a', ['type'])
  assert.equal(o.oneOf('type', ['allow', 'deny'], 'allow'), 'deny')
})

test('regexes run in the linear engine: catastrophic patterns are harmless, backtracking ones refused', () => {
  const evil = compileSafeRegex('^(a+)+$', 'plugins.a.path')
  const started = performance.now()
  assert.equal(evil.test(`${'a'.repeat(40)}!`), false)
  assert.ok(performance.now() - started < 1000)
  for (const pattern of ['(a)\\1', '(?=a)b', '[']) {
    assert.throws(
      () => compileSafeRegex(pattern, 'plugins.a.ua_list[0]'),
      configError('PGT_ERR_CONFIG_REGEX', 'plugins.a.ua_list[0]'),
    )
  }
})

test('regex lists report the index of the bad entry', () => {
  const o = new PluginOptions({ ua_list: ['ok', '(x)\\1'] }, 'plugins.ua', ['ua_list'])
  assert.throws(
    () => o.regexList('ua_list'),
    configError('PGT_ERR_CONFIG_REGEX', 'plugins.ua.ua_list[1]'),
  )
})
