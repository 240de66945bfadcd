/**
 * Property: turning any text into a config (TOML parse → validation → snapshot build, what `-t`
 * and start-up run) either succeeds or throws a ConfigError / ConfigErrors, never anything else.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { buildDeps } from '../../../src/app.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { parseToml } from '../../../src/config/toml.ts'
import { ConfigError, ConfigErrors } from '../../../src/core/errors.ts'
import { buildSnapshot } from '../../../src/runtime/build.ts'

const KEYS: Record<string, readonly string[]> = {
  basic: ['name', 'error_template', 'threads', 'grace_period', 'trusted_proxies', 'log_level'],
  servers: [
    'addr',
    'locations',
    'access_log',
    'header_read_timeout',
    'max_url_length',
    'max_header_count',
    'max_connections',
    'enabled_h2',
  ],
  locations: [
    'upstream',
    'path',
    'host',
    'rewrite',
    'weight',
    'plugins',
    'client_max_body_size',
    'proxy_set_headers',
    'max_retries',
  ],
  upstreams: [
    'addrs',
    'algo',
    'health_check',
    'connection_timeout',
    'read_timeout',
    'discovery',
    'sni',
  ],
  plugins: ['category', 'step', 'path', 'max', 'type', 'data', 'status'],
}

const scalar = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    '10s',
    '1KiB',
    '~^(a+)+$',
    '127.0.0.1:0',
    'round_robin',
    'hash',
    'mock',
    'limit',
    '',
    '/',
    '=/x',
    '*.a',
  ),
  fc.integer({ min: -5, max: 70_000 }),
  fc.boolean(),
  fc.double(),
)
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }))

function tomlValue(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'nan'
  return String(v)
}

const table = (category: string): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom('a', 'b', 'x', 'pingap:ping', 'bad name'),
      fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(...(KEYS[category] ?? [])), fc.stringMatching(/^[a-z_]{1,8}$/)),
          value,
        ),
        { maxLength: 6 },
      ),
    )
    .map(([name, entries]) => {
      const head = category === 'basic' ? '[basic]' : `[${category}.${JSON.stringify(name)}]`
      const seen = new Set<string>()
      const lines = entries
        .filter(([k]) => !seen.has(k) && seen.add(k))
        .map(([k, v]) => `${k} = ${tomlValue(v)}`)
      return [head, ...lines].join('\n')
    })

const document = fc.oneof(
  fc
    .array(fc.constantFrom(...Object.keys(KEYS)).chain(table), { maxLength: 6 })
    .map((t) => t.join('\n\n')),
  fc.string({ maxLength: 200 }),
)

test('property: config text → config → snapshot throws only config errors', () => {
  const deps = buildDeps()
  fc.assert(
    fc.property(document, (text) => {
      try {
        const raw = parseToml(text, 'prop.toml')
        const config = parseConfig({ raw, sources: new Map() })
        const snapshot = buildSnapshot(config, undefined, 0, deps)
        for (const u of snapshot.upstreams.values()) void u.close()
      } catch (err) {
        assert.ok(
          err instanceof ConfigError || err instanceof ConfigErrors,
          `${String(err)}\n${text}`,
        )
      }
    }),
    { numRuns: 150 },
  )
})
