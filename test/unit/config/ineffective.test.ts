import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ineffectiveNotes, INEFFECTIVE_KEYS } from '../../../src/config/ineffective.ts'
import type { PingapConfig } from '../../../src/config/types.ts'

const config = (extra: Record<string, unknown>): PingapConfig =>
  ({
    basic: {},
    servers: {},
    locations: {},
    upstreams: {},
    plugins: {},
    certificates: {},
    storages: {},
    ...extra,
  }) as unknown as PingapConfig

test('a set key without effect gets one note with its path and reason', () => {
  const notes = ineffectiveNotes(
    config({
      basic: { work_stealing: true, threads: 2 },
      servers: { web: { addr: '127.0.0.1:0', tcp_fastopen: 10 }, api: { addr: '127.0.0.1:0' } },
      upstreams: { up: { addrs: ['127.0.0.1:1'], tcp_fast_open: true, tcp_idle: '1m' } },
    }),
  )
  assert.equal(notes.length, 3, notes.join('\n'))
  assert.ok(
    notes.includes('basic.work_stealing has no effect on Node.js: a Tokio scheduler option'),
  )
  assert.ok(notes.some((n) => n.startsWith('servers.web.tcp_fastopen has no effect on Node.js: ')))
  assert.ok(notes.some((n) => n.startsWith('upstreams.up.tcp_fast_open has no effect')))
})

test('nothing set, nothing noted; every entry has a reason', () => {
  assert.deepEqual(ineffectiveNotes(config({})), [])
  for (const entry of INEFFECTIVE_KEYS) assert.ok(entry.reason.length > 10, entry.key)
})
