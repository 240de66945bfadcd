import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { decodeConfig, encodeConfig } from '../../../src/cluster/config-codec.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { openConfigStore } from '../../../src/config/store.ts'
import type { LoadedConfig } from '../../../src/config/types.ts'

const EXAMPLES = resolve(process.cwd(), '../shared/compat/pingap-examples')

/** A config with every kind of value: includes, dates, nested plugin options, odd names. */
const RICH = `
[basic]
name = "rich"
threads = 2
grace_period = "3s"
trusted_proxies = ["10.0.0.0/8"]

[storages.frag]
category = "config"
value = 'proxy_set_headers = ["X-Frag: 1"]'

[upstreams."odd name"]
addrs = ["127.0.0.1:9 10", "127.0.0.1:10"]
algo = "hash:cookie:sid"
health_check = "http://odd/ping?success=2"

[locations.api]
host = "a.test, *.b.test, ~^(?<sub>.+)\\\\.c\\\\.test$"
path = "~^/api/(?<v>v[0-9]+)/"
upstream = "odd name"
includes = ["frag"]
rewrite = "^/api/(.*)$ /$1"
weight = 2048
plugins = ["mock"]

[plugins.mock]
category = "mock"
data = "ok"
when = 1979-05-27T07:32:00Z
nested = { list = [1, 2.5, true, "x"], table = { deep = "y" } }

[servers.web]
addr = "127.0.0.1:0,[::1]:0"
locations = ["api"]
`

async function sources(): Promise<Array<[string, LoadedConfig]>> {
  const out: Array<[string, LoadedConfig]> = [
    ['rich', await new MemoryConfigStore({ 'pingap.toml': RICH }).load()],
  ]
  if (!existsSync(EXAMPLES)) return out
  const examples = join(EXAMPLES, 'examples')
  for (const name of readdirSync(examples)) {
    out.push([name, await openConfigStore(join(examples, name)).load()])
  }
  out.push(['conf', await openConfigStore(join(EXAMPLES, 'conf')).load()])
  return out
}

test('a config survives the trip to a worker unchanged, and re-validating it changes nothing', async () => {
  for (const [name, loaded] of await sources()) {
    const config = parseConfig(loaded)
    const encoded = encodeConfig(config)
    assert.equal(encoded.hash, config.hash)
    assert.doesNotMatch(encoded.text, /"hash"/, name)
    const decoded = decodeConfig(encoded)
    assert.deepEqual(decoded, config, name)
    // What the worker skips: parseConfig of the decoded data gives the same config and hash.
    const reparsed = parseConfig({
      raw: JSON.parse(encoded.text) as LoadedConfig['raw'],
      sources: loaded.sources,
    })
    assert.deepEqual(reparsed, config, name)
    assert.equal(reparsed.hash, config.hash, name)
  }
})

test('the encoding keeps the order of items (location ties are ordered by it)', async () => {
  const config = parseConfig(
    await new MemoryConfigStore({
      'pingap.toml':
        '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n' +
        '[locations.z]\nupstream = "u"\n[locations.a]\nupstream = "u"\n[locations.m]\nupstream = "u"\n',
    }).load(),
  )
  assert.deepEqual(Object.keys(decodeConfig(encodeConfig(config)).locations), ['z', 'a', 'm'])
})
