import assert from 'node:assert/strict'
import { crc32 } from 'node:zlib'
import { describe, test } from 'node:test'
import type { PingapConfig } from '../../../src/config/types.ts'
import {
  configChanges,
  diffMessage,
  itemLines,
  reloadMessage,
} from '../../../src/control/notify-diff.ts'
import { deltaOf } from '../../../src/control/versions.ts'

function config(over: Partial<Record<string, unknown>>): PingapConfig {
  return {
    basic: {},
    servers: {},
    locations: {},
    upstreams: {},
    plugins: {},
    certificates: {},
    storages: {},
    hash: '',
    ...over,
  }
}

describe('config notifications', () => {
  test('items become sorted key = value lines with secrets masked', () => {
    const pem = '-----BEGIN CERTIFICATE-----'
    assert.deepEqual(itemLines({ tls_cert: pem, domains: 'a.test', remark: undefined }), [
      'domains = "a.test"',
      `tls_cert = "crc32:${crc32(pem).toString(16).toUpperCase()}"`,
    ])
  })

  test('added, removed and modified items are listed with their line changes', () => {
    const before = config({
      locations: { api: { path: '/api', upstream: 'a' }, old: { path: '/old' } },
    })
    const after = config({
      locations: { api: { path: '/api', upstream: 'b' }, new: { path: '/new' } },
    })
    const changes = configChanges(before, after)
    assert.equal(
      diffMessage(changes),
      [
        '[MODIFIED] locations:api',
        '- upstream = "a"',
        '+ upstream = "b"',
        '++ [ADDED] locations:new',
        '-- [REMOVED] locations:old',
      ].join('\n'),
    )
    assert.match(reloadMessage(7, changes), /^config version 7 applied\nlocations:api is modified/)
  })

  test('the first version lists everything as added', () => {
    const changes = configChanges(undefined, config({ upstreams: { u: { addrs: ['x'] } } }))
    assert.deepEqual(
      changes.map((c) => `${c.kind} ${c.category}:${c.name}`),
      ['added basic:basic', 'added upstreams:u'],
    )
  })

  test('with the version change list as hint, the same changes are found', () => {
    const before = config({
      basic: { name: 'a' },
      locations: { api: { path: '/api' }, old: { path: '/old' }, same: { path: '/s' } },
      upstreams: { u: { addrs: ['x'] } },
    })
    const afters = [
      config({ ...before, locations: { ...before.locations, api: { path: '/v2' } } }),
      config({ ...before, basic: { name: 'b' }, upstreams: {} }),
      config({ ...before, locations: { same: before.locations['same'], new: { path: '/n' } } }),
      before,
    ]
    for (const after of afters) {
      const delta = deltaOf(before, after)
      assert.deepEqual(
        configChanges(before, delta.shared, delta.changes),
        configChanges(before, after),
      )
    }
  })
})
