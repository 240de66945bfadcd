/**
 * Properties of header value expansion (spec §2.7): compiling never throws; a value that is not
 * a `$…`/`:…` form is sent as written; `$http_<name>` yields the request header (with `_` read as
 * `-`) or the literal text; parsed entries never carry CR, LF or NUL into a header.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compileHeaderValue, parseHeaderEntry } from '../../../src/core/header-value.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

const headerName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,15}$/)
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,30}$/)

test('property: static values are sent exactly as configured', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (value) => {
      fc.pre(!value.startsWith('$') && !value.startsWith(':'))
      assert.equal(compileHeaderValue(value)(fakeContext()), value)
    }),
    { numRuns: 2_000 },
  )
})

test('property: compiling and evaluating any value never throws and yields a string', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string().map((s) => `$${s}`),
        fc.string().map((s) => `:${s}`),
      ),
      (value) => {
        const out = compileHeaderValue(value)(fakeContext({ headers: { 'x-a': 'b' } }))
        assert.equal(typeof out, 'string')
      },
    ),
    { numRuns: 2_000 },
  )
})

test('property: $http_<name> reads the header, with _ standing for -', () => {
  fc.assert(
    fc.property(headerName, headerText, fc.boolean(), (name, value, present) => {
      const dashed = name.replaceAll('_', '-')
      const fn = compileHeaderValue(`$http_${name}`)
      const ctx = fakeContext({ headers: present ? { [dashed]: value } : {} })
      const expected = present && value !== '' ? value : `$http_${name}`
      const got = fn(ctx)
      // An empty header value is as good as absent for a substitution.
      assert.ok(got === expected || (present && got === value), `${name}: ${got}`)
    }),
    { numRuns: 2_000 },
  )
})

test('property: parsed entries never put CR, LF or NUL into a header', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (entry) => {
      const parsed = parseHeaderEntry(entry)
      if (parsed === undefined) return
      const [name, value] = parsed
      assert.match(name, /^[!#$%&'*+\-.^_`|~0-9a-z]+$/)
      assert.ok(!/[\r\n\0]/.test(value), JSON.stringify(value))
    }),
    { numRuns: 5_000 },
  )
})
