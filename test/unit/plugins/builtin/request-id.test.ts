import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nanoid, uuidv7 } from '../../../../src/plugins/builtin/ids.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request } from './support.ts'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('request_id generates a UUIDv7, sets it on the request and asks for x-request-id on the response', async () => {
  const ctx = fakeContext()
  assert.equal(await request(plugin({ category: 'request_id' }), ctx), undefined)
  assert.match(ctx.requestId!, UUID_V7)
  assert.equal(ctx.requestId!.length, 36)
  assert.equal(ctx.headers['x-request-id'], ctx.requestId)
  assert.deepEqual(ctx.responseHeaders, [['x-request-id', ctx.requestId]])
})

test('request_id keeps a client-sent id and echoes it', async () => {
  const ctx = fakeContext({ headers: { 'x-request-id': 'abc' } })
  await request(plugin({ category: 'request_id' }), ctx)
  assert.equal(ctx.requestId, 'abc')
  assert.deepEqual(ctx.responseHeaders, [['x-request-id', 'abc']])
})

test('request_id with nanoid, a size and a custom header name', async () => {
  const ctx = fakeContext()
  await request(
    plugin({ category: 'request_id', algorithm: 'nanoid', size: 12, header_name: 'X-Trace' }),
    ctx,
  )
  assert.match(ctx.requestId!, /^[A-Za-z0-9_-]{12}$/)
  assert.equal(ctx.headers['x-trace'], ctx.requestId)
  assert.equal(ctx.headers['x-request-id'], undefined)
})

test('uuidv7 ids are unique and ordered by time', () => {
  const a = uuidv7(1_700_000_000_000)
  const b = uuidv7(1_700_000_000_001)
  assert.ok(a < b)
  assert.equal(a.slice(0, 13), '018bcfe5-6800')
  const many = new Set(Array.from({ length: 1000 }, () => uuidv7()))
  assert.equal(many.size, 1000)
  // RFC 9562 layout: version 7, variant 10xx, lower-case hex.
  for (const id of many) {
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  }
  assert.equal(nanoid(8).length, 8)
})
