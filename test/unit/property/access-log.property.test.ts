/**
 * Property: whatever a client sends, an access log line stays one line and a quoted field stays
 * one field (quotes, backslashes and control bytes are escaped), and formatting never throws.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ACCESS_LOG_PRESETS, compileAccessLog } from '../../../src/proxy/access-log.ts'
import { fakeContext } from '../../helpers/fake-context.ts'

const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', '\\', '\n', '\r', '\0', '\x1b', ' ', '{', '}'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  ),
  maxLength: 40,
})

test('property: access log lines cannot be forged', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(
        ...Object.keys(ACCESS_LOG_PRESETS),
        '{method} "{path}" "{query}" "{>x-a}" "{~sid}"',
      ),
      hostile,
      hostile,
      hostile,
      hostile,
      (format, path, query, header, agent) => {
        const log = compileAccessLog(format)
        const ctx = fakeContext({
          path: `/${path}`,
          query,
          headers: { 'x-a': header, 'user-agent': agent, referer: header, cookie: `sid=${agent}` },
        })
        const line = log.format(ctx, { status: 200, bytes: 10, headers: {} })
        assert.ok(!/[\r\n\0]/.test(line), JSON.stringify(line))
        // Quotes in the output are exactly the template's: none came from the request.
        const templateQuotes = (ACCESS_LOG_PRESETS[format] ?? format).split('"').length - 1
        assert.equal(line.split('"').length - 1, templateQuotes, JSON.stringify(line))
      },
    ),
    { numRuns: 2_000 },
  )
})
