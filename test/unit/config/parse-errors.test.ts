import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigErrors, type ConfigError } from '../../../src/core/errors.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import { parseToml } from '../../../src/config/toml.ts'

function problems(toml: string): ConfigError[] {
  try {
    parseConfig({ raw: parseToml(toml, undefined), sources: new Map() })
  } catch (err) {
    assert.ok(err instanceof ConfigErrors, `expected ConfigErrors, got ${String(err)}`)
    return [...err.errors]
  }
  return []
}

const UP = '[upstreams.u]\naddrs = ["127.0.0.1:8080"]\n'
const LOC = '[locations.l]\nupstream = "u"\n'

interface Case {
  readonly name: string
  readonly toml: string
  readonly path: string
  readonly code: string
  /** A substring of the message without file and path. */
  readonly detail: string
}

const cases: readonly Case[] = [
  {
    name: 'unknown location key with suggestion',
    toml: `${UP}[locations.l]\nupstrem = "u"\n`,
    path: 'locations.l.upstrem',
    code: 'PGT_ERR_CONFIG_UNKNOWN_KEY',
    detail: 'unknown key "upstrem", did you mean `upstream`?',
  },
  {
    name: 'unknown top-level section',
    toml: '[servrs.a]\naddr = "127.0.0.1:80"\n',
    path: 'servrs',
    code: 'PGT_ERR_CONFIG_UNKNOWN_KEY',
    detail: 'did you mean `servers`?',
  },
  {
    name: 'Pingap sample misspelling tcp_fast_open on a server',
    toml: '[servers.s]\naddr = "127.0.0.1:80"\ntcp_fast_open = 10\n',
    path: 'servers.s.tcp_fast_open',
    code: 'PGT_ERR_CONFIG_UNKNOWN_KEY',
    detail: 'did you mean `tcp_fastopen`?',
  },
  {
    name: 'unknown key far from every valid key has no suggestion',
    toml: '[basic]\nzzzzzzzzzzzz = 1\n',
    path: 'basic.zzzzzzzzzzzz',
    code: 'PGT_ERR_CONFIG_UNKNOWN_KEY',
    detail: 'unknown key "zzzzzzzzzzzz"',
  },
  {
    name: 'int given as string',
    toml: '[basic]\nthreads = "2"\n',
    path: 'basic.threads',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'expected an integer, got string "2"',
  },
  {
    name: 'bad duration',
    toml: '[basic]\ngrace_period = "5 parsecs"\n',
    path: 'basic.grace_period',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'is not a duration',
  },
  {
    name: 'duration given as a number',
    toml: `${UP}idle_timeout = 10\n`,
    path: 'upstreams.u.idle_timeout',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'expected a duration string',
  },
  {
    name: 'bad byte size',
    toml: `${UP}${LOC}client_max_body_size = "1zb"\n`,
    path: 'locations.l.client_max_body_size',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'is not a size',
  },
  {
    name: 'bool given as string',
    toml: `${UP}${LOC}enable_reverse_proxy_headers = "yes"\n`,
    path: 'locations.l.enable_reverse_proxy_headers',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'expected true or false',
  },
  {
    name: 'string list given as string',
    toml: '[basic]\ntrusted_proxies = "10.0.0.0/8"\n',
    path: 'basic.trusted_proxies',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'expected an array of strings',
  },
  {
    name: 'weight out of u16 range',
    toml: `${UP}${LOC}weight = 70000\n`,
    path: 'locations.l.weight',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'must be at most 65535',
  },
  {
    name: 'server without addr',
    toml: '[servers.s]\nlocations = []\n',
    path: 'servers.s.addr',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'missing required key "addr"',
  },
  {
    name: 'listen address without port',
    toml: '[servers.s]\naddr = "127.0.0.1"\n',
    path: 'servers.s.addr',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'has no port',
  },
  {
    name: 'listen port out of range',
    toml: '[servers.s]\naddr = "127.0.0.1:80,127.0.0.1:70000"\n',
    path: 'servers.s.addr',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'port 70000 is out of range',
  },
  {
    name: 'same address in two servers',
    toml: '[servers.a]\naddr = "0.0.0.0:8080"\n[servers.b]\naddr = "[::]:80, 0.0.0.0:8080"\n',
    path: 'servers.b.addr',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: '0.0.0.0:8080 is inused by other server',
  },
  {
    name: 'server names a missing location',
    toml: '[servers.s]\naddr = "127.0.0.1:80"\nlocations = ["nope"]\n',
    path: 'servers.s.locations',
    code: 'PGT_ERR_CONFIG_REF',
    detail: 'unknown location "nope"',
  },
  {
    name: 'location names a missing upstream',
    toml: '[locations.l]\nupstream = "missing"\n',
    path: 'locations.l.upstream',
    code: 'PGT_ERR_CONFIG_REF',
    detail: 'unknown upstream "missing"',
  },
  {
    name: 'location names a missing plugin',
    toml: `${UP}${LOC}plugins = ["pingap:requestId", "nope"]\n`,
    path: 'locations.l.plugins',
    code: 'PGT_ERR_CONFIG_REF',
    detail: 'unknown plugin "nope"',
  },
  {
    name: 'header entry without colon',
    toml: `${UP}${LOC}proxy_set_headers = ["X-A value"]\n`,
    path: 'locations.l.proxy_set_headers',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'header "X-A value" is invalid',
  },
  {
    name: 'header name that is not a token',
    toml: `${UP}${LOC}proxy_add_headers = ["Bad Name: v"]\n`,
    path: 'locations.l.proxy_add_headers',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'is invalid',
  },
  {
    name: 'header value with a newline',
    toml: `${UP}${LOC}proxy_add_headers = ["X-A: a\\r\\nX-B: b"]\n`,
    path: 'locations.l.proxy_add_headers',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'is invalid',
  },
  {
    name: 'empty addrs',
    toml: '[upstreams.u]\naddrs = []\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'upstream addrs is empty',
  },
  {
    name: 'missing addrs',
    toml: '[upstreams.u]\nalgo = "round_robin"\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'missing required key "addrs"',
  },
  {
    name: 'unspecified IP backend',
    toml: '[upstreams.u]\naddrs = ["0.0.0.0:80"]\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'invalid IP 0.0.0.0',
  },
  {
    name: 'multicast IP backend',
    toml: '[upstreams.u]\naddrs = ["224.0.0.1:80"]\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'invalid IP 224.0.0.1',
  },
  {
    name: 'link-local IPv6 backend',
    toml: '[upstreams.u]\naddrs = ["[fe80::1]:80"]\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'invalid IP fe80::1',
  },
  {
    name: 'broadcast IP backend with explicit static discovery',
    toml: '[upstreams.u]\naddrs = ["255.255.255.255"]\ndiscovery = "static"\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'invalid IP 255.255.255.255',
  },
  {
    name: 'bad backend weight',
    toml: '[upstreams.u]\naddrs = ["127.0.0.1:80 x"]\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'weight "x"',
  },
  {
    name: 'backend with too many parts',
    toml: '[upstreams.u]\naddrs = ["127.0.0.1:80 1 2"]\n',
    path: 'upstreams.u.addrs',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'is not "host[:port][ weight]"',
  },
  {
    name: 'health check that is not a URL',
    toml: `${UP}health_check = "not a url"\n`,
    path: 'upstreams.u.health_check',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'is not a URL',
  },
  {
    name: 'tcp_probe_count above 16',
    toml: `${UP}tcp_probe_count = 17\n`,
    path: 'upstreams.u.tcp_probe_count',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'must be at most 16',
  },
  {
    name: 'max_h2_streams of 0',
    toml: `${UP}max_h2_streams = 0\n`,
    path: 'upstreams.u.max_h2_streams',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'must be at least 1',
  },
  {
    name: 'unknown discovery',
    toml: `${UP}discovery = "consul"\n`,
    path: 'upstreams.u.discovery',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'must be one of "static", "dns", "docker", "transparent"',
  },
  {
    name: 'plugin without category',
    toml: '[plugins.p]\npath = "/x"\n',
    path: 'plugins.p.category',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'missing required key "category"',
  },
  {
    name: 'plugin with empty category',
    toml: '[plugins.p]\ncategory = " "\n',
    path: 'plugins.p.category',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'must not be empty',
  },
  {
    name: 'item name with a slash',
    toml: '[upstreams."a/b"]\naddrs = ["127.0.0.1"]\n',
    path: 'upstreams."a/b"',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'invalid config name',
  },
  {
    name: 'item name with a backslash',
    toml: '[upstreams."a\\\\b"]\naddrs = ["127.0.0.1"]\n',
    path: 'upstreams."a\\\\b"',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'invalid config name',
  },
  {
    name: 'category that is not a table of tables',
    toml: 'servers = 1\n',
    path: 'servers',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'expected tables [servers.<name>]',
  },
  {
    name: 'item that is not a table',
    toml: '[locations]\nl = 1\n',
    path: 'locations.l',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'expected a table [locations.l]',
  },
  {
    name: 'storage of unknown category',
    toml: '[storages.s]\ncategory = "blob"\n',
    path: 'storages.s.category',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'must be one of "config", "secret"',
  },
  {
    name: 'include of a missing storage',
    toml: `${UP}${LOC}includes = ["nope"]\n`,
    path: 'locations.l.includes',
    code: 'PGT_ERR_CONFIG_REF',
    detail: 'unknown storage "nope"',
  },
  {
    name: 'include of a secret storage',
    toml: `${UP}${LOC}includes = ["s"]\n[storages.s]\ncategory = "secret"\nvalue = "x"\n`,
    path: 'locations.l.includes',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'storage "s" is not of category "config"',
  },
  {
    name: 'unknown key inside an included fragment',
    toml: `${UP}${LOC}includes = ["frag"]\n[storages.frag]\ncategory = "config"\nvalue = 'pth = "/api"'\n`,
    path: 'storages.frag.value.pth',
    code: 'PGT_ERR_CONFIG_UNKNOWN_KEY',
    detail: 'did you mean `path`? (included by locations.l)',
  },
  {
    name: 'included fragment that names a missing upstream',
    toml: `${UP}${LOC}includes = ["frag"]\n[storages.frag]\ncategory = "config"\nvalue = 'upstream = "gone"'\n`,
    path: 'storages.frag.value.upstream',
    code: 'PGT_ERR_CONFIG_INVALID',
    detail: 'unknown upstream "gone" (included by locations.l)',
  },
  {
    name: 'included fragment with a TOML syntax error',
    toml: `${UP}${LOC}includes = ["frag"]\n[storages.frag]\ncategory = "config"\nvalue = 'path = '\n`,
    path: 'storages.frag.value (line 1, column 8)',
    code: 'PGT_ERR_CONFIG_PARSE',
    detail: 'cannot parse TOML',
  },
]

describe('parseConfig errors', () => {
  for (const c of cases) {
    test(c.name, () => {
      const found = problems(c.toml)
      const match = found.find((e) => e.path === c.path && e.code === c.code)
      assert.ok(
        match !== undefined,
        `no ${c.code} at ${c.path}; got:\n${found.map((e) => `${e.code} ${e.path}: ${e.detail}`).join('\n')}`,
      )
      assert.ok(match.detail.includes(c.detail), `"${match.detail}" lacks "${c.detail}"`)
    })
  }

  test('every problem is reported at once', () => {
    const found = problems(
      '[basic]\nthreds = 1\n[servers.s]\naddr = "x"\nlocations = ["nope"]\n[upstreams.u]\naddrs = []\n',
    )
    assert.deepEqual(found.map((e) => e.path).sort(), [
      'basic.threds',
      'servers.s.addr',
      'servers.s.locations',
      'upstreams.u.addrs',
    ])
  })

  test('errors name the file of the item', () => {
    const sources = new Map([
      ['locations.l', '/etc/pingap/locations.toml'],
      ['upstreams.u', '/etc/pingap/upstreams.toml'],
    ])
    const raw = parseToml(`${UP}[locations.l]\nupstream = "u"\nhots = "a"\n`, undefined)
    assert.throws(
      () => parseConfig({ raw, sources }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigErrors)
        const [first] = err.errors
        assert.equal(first?.file, '/etc/pingap/locations.toml')
        assert.equal(
          first?.message,
          '/etc/pingap/locations.toml: locations.l.hots: unknown key "hots", did you mean `host`?',
        )
        return true
      },
    )
  })

  test('valid forms the checks must not refuse', () => {
    const toml = `
[servers.a]
addr = "127.0.0.1:0,[::1]:0,localhost:8080"
[servers.b]
addr = "127.0.0.1:0"
locations = ["l", "d", "e"]
[locations.l]
upstream = "u"
plugins = ["pingap:compression", "pingap:ping", "p"]
proxy_set_headers = ["Host: api.example.com", "X-Empty:"]
client_max_body_size = 1024
[locations.d]
upstream = "$name"
[locations.e]
upstream = ""
[upstreams.u]
addrs = ["127.0.0.1:8080 10", "example.com", "[::1]:80", "::1", "backend_1.local:9000 2"]
health_check = ""
tcp_probe_count = 16
[upstreams.dns]
addrs = ["ws.example.com:443"]
discovery = "dns"
[upstreams.t]
addrs = ["anything at all here"]
discovery = "transparent"
[upstreams.k]
addrs = ["com.docker.compose.service=web:8080"]
discovery = "docker"
[plugins.p]
category = "stats"
value = "/stats"
`
    assert.deepEqual(problems(toml), [])
  })
})
