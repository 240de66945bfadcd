import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { parseConfig } from '../../../src/config/parse.ts'
import { TEMPLATE_TOML } from '../../../src/config/template.ts'
import { parseToml } from '../../../src/config/toml.ts'
import type { PingapConfig } from '../../../src/config/types.ts'

function parse(toml: string): PingapConfig {
  return parseConfig({ raw: parseToml(toml, undefined), sources: new Map() })
}

const FIXTURES = resolve(process.cwd(), 'test/fixtures/config')

describe('parseConfig', () => {
  test('an empty document is a valid empty config', () => {
    const config = parse('')
    assert.deepEqual(config.basic, {})
    assert.deepEqual(config.servers, {})
    assert.match(config.hash, /^[0-9a-f]{16}$/)
  })

  test('includes: fragment keys win, includes is removed, storages are kept', () => {
    const config = parse(`
[upstreams.u]
addrs = ["127.0.0.1:8080"]
[locations.l]
path = "/x"
host = "a.test"
includes = ["common", "headers"]
[storages.common]
category = "config"
value = '''
path = "/api"
upstream = "u"
'''
[storages.headers]
category = "config"
value = 'proxy_set_headers = ["X-From: include"]'
`)
    assert.deepEqual(config.locations['l'], {
      path: '/api',
      host: 'a.test',
      upstream: 'u',
      proxy_set_headers: ['X-From: include'],
    })
    assert.equal(config.storages['common']?.category, 'config')
  })

  test('the output parses again to the same config (worker IPC round trip)', () => {
    const toml = `
[basic]
threads = 1
[upstreams.u]
addrs = ["127.0.0.1:8080"]
[locations.l]
includes = ["c"]
[storages.c]
category = "config"
value = 'upstream = "u"'
[plugins.p]
category = "mock"
when = 1979-05-27T07:32:00Z
`
    const first = parse(toml)
    const { hash, ...body } = first
    const again = parseConfig({
      raw: JSON.parse(JSON.stringify(body)) as never,
      sources: new Map(),
    })
    assert.equal(again.hash, hash)
    assert.deepEqual(again, first)
  })

  test('values come back as plain objects; dates become their TOML text', () => {
    const config = parse('[plugins.p]\ncategory = "mock"\nwhen = 1979-05-27\nnested = { a = 1 }\n')
    const plugin = config.plugins['p']!
    assert.equal(Object.getPrototypeOf(config.plugins), Object.prototype)
    assert.equal(Object.getPrototypeOf(plugin), Object.prototype)
    assert.equal(Object.getPrototypeOf(plugin['nested']), Object.prototype)
    assert.equal(plugin['when'], '1979-05-27')
  })

  test('durations stay strings and integer sizes become strings', () => {
    const config = parse(
      '[upstreams.u]\naddrs = ["127.0.0.1"]\nidle_timeout = "90s"\n[locations.l]\nupstream = "u"\nclient_max_body_size = 1024\n',
    )
    assert.equal(config.upstreams['u']?.idle_timeout, '90s')
    assert.equal(config.locations['l']?.client_max_body_size, '1024')
  })

  test('plugins keep their own options for the factories to check', () => {
    const config = parse(
      '[plugins.stats]\ncategory = "stats"\nvalue = "/stats"\nstep = "request"\n',
    )
    assert.deepEqual(config.plugins['stats'], {
      category: 'stats',
      value: '/stats',
      step: 'request',
    })
  })

  test('the hash ignores key order and follows values', () => {
    const a = parse('[upstreams.u]\naddrs = ["127.0.0.1"]\nalgo = "hash:ip"\n[basic]\nname = "x"\n')
    const b = parse('[basic]\nname = "x"\n[upstreams.u]\nalgo = "hash:ip"\naddrs = ["127.0.0.1"]\n')
    const c = parse('[basic]\nname = "y"\n[upstreams.u]\nalgo = "hash:ip"\naddrs = ["127.0.0.1"]\n')
    assert.equal(a.hash, b.hash)
    assert.notEqual(a.hash, c.hash)
  })

  test('the --template config is valid', () => {
    const config = parse(TEMPLATE_TOML)
    assert.deepEqual(config.servers['httpServer'], {
      addr: '0.0.0.0:80',
      access_log: 'combined',
      locations: ['httpLocation'],
    })
    assert.equal(config.basic.pid_file, '/run/pingap.pid')
    assert.equal(config.upstreams['httpUpstream']?.addrs[0], '127.0.0.1:5000')
  })

  test('golden: fixtures/config/full.toml parses to full.json', async () => {
    const toml = await readFile(join(FIXTURES, 'full.toml'), 'utf8')
    const actual = `${JSON.stringify(parse(toml), null, 2)}\n`
    const goldenFile = join(FIXTURES, 'full.json')
    if (process.env['UPDATE_GOLDEN'] === '1') await writeFile(goldenFile, actual)
    assert.equal(actual, await readFile(goldenFile, 'utf8'))
  })

  test('a 2,000-location config parses', () => {
    const parts: string[] = []
    for (let i = 0; i < 500; i++)
      parts.push(`[upstreams.u${i}]\naddrs = ["10.0.${i % 250}.1:8080 2"]\n`)
    const names: string[] = []
    for (let i = 0; i < 2000; i++) {
      names.push(`"l${i}"`)
      parts.push(
        `[locations.l${i}]\nupstream = "u${i % 500}"\npath = "/p${i}"\nhost = "h${i}.test"\nproxy_set_headers = ["X-A: b"]\nplugins = ["pingap:requestId"]\n`,
      )
    }
    parts.push(`[servers.s]\naddr = "127.0.0.1:0"\nlocations = [${names.join(',')}]\n`)
    const config = parse(parts.join(''))
    assert.equal(Object.keys(config.locations).length, 2000)
    assert.equal(config.servers['s']?.locations?.length, 2000)
  })
})
