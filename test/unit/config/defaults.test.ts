import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parseDuration } from '../../../src/core/duration.ts'
import {
  BASIC_DEFAULTS,
  BUILTIN_PLUGIN_NAMES,
  LOCATION_DEFAULTS,
  SERVER_DEFAULTS,
  UPSTREAM_DEFAULTS,
} from '../../../src/config/defaults.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { SCHEMAS, type TableSchema } from '../../../src/config/schema.ts'
import { checkValue } from '../../../src/config/values.ts'

function assertValidFor(schema: TableSchema, defaults: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(defaults)) {
    const spec = schema.keys[key]
    if (spec === undefined) continue // derived values such as http_port
    const result = checkValue(spec, value)
    assert.ok(result.ok, `${key} = ${JSON.stringify(value)}: ${result.ok ? '' : result.message}`)
  }
}

describe('defaults', () => {
  test('the documented key defaults', () => {
    assert.equal(BASIC_DEFAULTS.threads, 1)
    assert.equal(parseDuration(BASIC_DEFAULTS.grace_period), 300_000)
    assert.equal(parseDuration(BASIC_DEFAULTS.graceful_shutdown_timeout), 5_000)
    assert.equal(BASIC_DEFAULTS.upstream_keepalive_pool_size, 128)
    assert.equal(UPSTREAM_DEFAULTS.algo, 'round_robin')
    assert.equal(parseDuration(UPSTREAM_DEFAULTS.idle_timeout), 60_000)
    assert.equal(parseDuration(UPSTREAM_DEFAULTS.update_frequency), 60_000)
    assert.equal(UPSTREAM_DEFAULTS.verify_cert, true)
  })

  test('every default is a valid value for its key', () => {
    assertValidFor(SCHEMAS.basic, BASIC_DEFAULTS)
    assertValidFor(SCHEMAS.servers, SERVER_DEFAULTS)
    assertValidFor(SCHEMAS.locations, LOCATION_DEFAULTS)
    assertValidFor(SCHEMAS.upstreams, UPSTREAM_DEFAULTS)
  })

  test('built-in plugins can be referenced without a [plugins] table', () => {
    assert.deepEqual([...BUILTIN_PLUGIN_NAMES].sort(), [
      'pingap:acceptEncodingAdjustment',
      'pingap:compression',
      'pingap:compressionUpstream',
      'pingap:ping',
      'pingap:requestId',
      'pingap:stats',
    ])
    const config = parseConfig({
      raw: { locations: { l: { plugins: [...BUILTIN_PLUGIN_NAMES] } } },
      sources: new Map(),
    })
    assert.deepEqual(config.locations['l']?.plugins, [...BUILTIN_PLUGIN_NAMES])
  })
})
