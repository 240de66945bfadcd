import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  httpDate,
  noneMatch,
  notModified,
  rangeApplies,
  weakEtag,
} from '../../../../../src/plugins/builtin/directory/conditional.ts'

const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5, 678)
const ETAG = weakEtag(4096, MTIME)

test('weakEtag is W/"<size hex>-<mtime seconds hex>"', () => {
  assert.equal(ETAG, `W/"1000-${Math.floor(MTIME / 1000).toString(16)}"`)
})

test('If-None-Match compares weakly and accepts lists and *', () => {
  assert.ok(noneMatch(ETAG, ETAG))
  assert.ok(noneMatch(ETAG.slice(2), ETAG))
  assert.ok(noneMatch(`"x", ${ETAG}`, ETAG))
  assert.ok(noneMatch('*', ETAG))
  assert.ok(!noneMatch('"other"', ETAG))
})

test('notModified: If-None-Match wins over If-Modified-Since', () => {
  const date = httpDate(MTIME)
  assert.ok(notModified({ 'if-none-match': ETAG }, ETAG, MTIME))
  assert.ok(!notModified({ 'if-none-match': '"x"', 'if-modified-since': date }, ETAG, MTIME))
  assert.ok(notModified({ 'if-modified-since': date }, ETAG, MTIME))
  assert.ok(notModified({ 'if-modified-since': httpDate(MTIME + 60_000) }, ETAG, MTIME))
  assert.ok(!notModified({ 'if-modified-since': httpDate(MTIME - 60_000) }, ETAG, MTIME))
  assert.ok(!notModified({ 'if-modified-since': 'yesterday-ish' }, ETAG, MTIME))
  assert.ok(!notModified({}, ETAG, MTIME))
})

test('If-Range: weak tags never match; an exact date does', () => {
  assert.ok(rangeApplies({}, ETAG, MTIME))
  assert.ok(!rangeApplies({ 'if-range': ETAG }, ETAG, MTIME))
  assert.ok(rangeApplies({ 'if-range': '"strong"' }, '"strong"', MTIME))
  assert.ok(rangeApplies({ 'if-range': httpDate(MTIME) }, ETAG, MTIME))
  assert.ok(!rangeApplies({ 'if-range': httpDate(MTIME - 1000) }, ETAG, MTIME))
})
