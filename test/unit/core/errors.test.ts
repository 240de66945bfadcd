import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PingapError } from '../../../src/core/errors.ts'

test('an outcome error (4xx, 502-504) has no stack frames; an internal error keeps its stack', () => {
  const before = Error.stackTraceLimit
  const outcome = new PingapError('PGT_ERR_ROUTE_NOT_FOUND', ['/x'])
  const upstream = new PingapError('PGT_ERR_UPSTREAM_READ_TIMEOUT', ['a'])
  const internal = new PingapError('PGT_ERR_INTERNAL', ['boom'])
  assert.doesNotMatch(outcome.stack ?? '', /\n\s+at /)
  assert.doesNotMatch(upstream.stack ?? '', /\n\s+at /)
  assert.match(internal.stack ?? '', /\n\s+at /)
  assert.equal(outcome.status, 404)
  assert.match(outcome.stack ?? '', /PingapError/)
  // The process-wide limit is left as it was.
  assert.equal(Error.stackTraceLimit, before)
  assert.match(new Error('x').stack ?? '', /\n\s+at /)
})
