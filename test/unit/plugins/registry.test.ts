import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import {
  BUILTIN_PLUGIN_TABLES,
  BUILTIN_PLUGINS,
  createBuiltinRegistry,
} from '../../../src/plugins/builtin/index.ts'
import { ping } from '../../../src/plugins/builtin/ping.ts'
import { PluginRegistry } from '../../../src/plugins/registry.ts'

function configError(code: string, path: string) {
  return (err: unknown): boolean =>
    err instanceof ConfigError && err.code === code && err.path === path
}

test('a category cannot be registered twice', () => {
  const registry = new PluginRegistry().register(ping)
  assert.throws(() => registry.register(ping), /registered twice/)
})

test('categories() lists every built-in, sorted', () => {
  const categories = createBuiltinRegistry().categories()
  // `admin` is registered apart: its handler factory comes from the composition root.
  assert.deepEqual(categories, [...BUILTIN_PLUGINS.map((f) => f.category), 'admin'].sort())
  assert.ok(categories.includes('limit') && categories.includes('ping'))
})

test('an unknown category is refused at plugins.<name>.category', () => {
  const registry = createBuiltinRegistry()
  assert.throws(
    () => registry.create('x', { category: 'nosuch' }),
    configError('PGT_ERR_PLUGIN_UNKNOWN', 'plugins.x.category'),
  )
  assert.throws(
    () => registry.create('x', {}),
    configError('PGT_ERR_CONFIG_INVALID', 'plugins.x.category'),
  )
})

test('a step the category cannot run at is refused, naming the key', () => {
  const registry = createBuiltinRegistry()
  const cases: Array<Record<string, unknown>> = [
    { category: 'ping', path: '/ping', step: 'response' },
    { category: 'ping', path: '/ping', step: 'nonsense' },
    { category: 'key_auth', query: 'k', keys: ['a'], step: 'proxy_upstream' },
    { category: 'limit', step: 'early_request' },
    { category: 'mock', step: 'response' },
    { category: 'response_headers', step: 'request' },
  ]
  for (const raw of cases) {
    assert.throws(
      () => registry.create('p', raw),
      configError('PGT_ERR_PLUGIN_STEP', 'plugins.p.step'),
      JSON.stringify(raw),
    )
  }
})

test('a valid step is kept and the default step applies when none is set', () => {
  const registry = createBuiltinRegistry()
  assert.equal(
    registry.create('a', { category: 'limit', step: 'proxy_upstream' }).step,
    'proxy_upstream',
  )
  assert.equal(registry.create('b', { category: 'mock', step: 'Request' }).step, 'request')
  assert.equal(registry.create('c', { category: 'ping', path: '/p' }).step, 'request')
  assert.equal(
    registry.create('d', { category: 'accept_encoding', encodings: 'gzip' }).step,
    'early_request',
  )
})

test('an unchanged config keeps the same instance across reloads; a change builds a new one', () => {
  const registry = createBuiltinRegistry()
  const first = registry.create('healthPing', { category: 'ping', path: '/ping' })
  assert.equal(registry.create('healthPing', { path: '/ping', category: 'ping' }, first), first)
  const changed = registry.create('healthPing', { category: 'ping', path: '/pong' }, first)
  assert.notEqual(changed, first)
  assert.equal(changed.name, 'healthPing')
})

test('factories refuse unknown option keys; the Pingap sample stats plugin points at `path`', () => {
  const registry = createBuiltinRegistry()
  assert.throws(
    () => registry.create('performanceStats', { category: 'stats', value: '/stats' }),
    (err: unknown) =>
      configError('PGT_ERR_CONFIG_UNKNOWN_KEY', 'plugins.performanceStats.value')(err) &&
      /did you mean `path`/.test((err as Error).message),
  )
  assert.throws(
    () =>
      registry.create('auth', {
        category: 'basic_auth',
        authorizations: ['YTpi'],
        hide_credential: true,
      }),
    configError('PGT_ERR_CONFIG_UNKNOWN_KEY', 'plugins.auth.hide_credential'),
  )
})

test('every always-present instance builds', () => {
  const registry = createBuiltinRegistry()
  for (const [name, raw] of Object.entries(BUILTIN_PLUGIN_TABLES)) {
    const plugin = registry.create(name, raw)
    assert.equal(plugin.name, name)
    assert.equal(plugin.category, raw['category'])
  }
  assert.deepEqual(Object.keys(BUILTIN_PLUGIN_TABLES).sort(), [
    'pingap:acceptEncodingAdjustment',
    'pingap:compression',
    'pingap:compressionUpstream',
    'pingap:ping',
    'pingap:requestId',
    'pingap:stats',
  ])
})

test('every option of the Pingap sample plugins parses (except stats.value)', () => {
  const registry = createBuiltinRegistry()
  const samples: Record<string, Record<string, unknown>> = {
    healthPing: { category: 'ping', path: '/ping' },
    mockResponse: { category: 'mock', path: '/mock', data: 'Hello World!' },
    mockApiTest: {
      category: 'mock',
      data: '{"status": "ok"}',
      headers: ['content-type:application/json', 'cache-control:public, max-age=60'],
      path: '/api/test',
      status: 200,
    },
    redirectToApi: { category: 'redirect', http_to_https: true },
    nanoRequestId: { category: 'request_id', algorithm: 'nanoid' },
    commonAcceptEncoding: { category: 'accept_encoding', encodings: ['zstd', 'br', 'gzip'] },
    apiKeyAuth: { category: 'key_auth', query: 'api_key', keys: ['123123', 'abcd'] },
    appKeyAuth: {
      category: 'key_auth',
      delay: '1s',
      hide_credentials: true,
      keys: ['U8nCkeA9U4'],
      query: 'key',
    },
    adminBasicAuth: { category: 'basic_auth', authorizations: ['YWRtaW46MTIzNDU2'] },
    userBasicAuth: {
      category: 'basic_auth',
      authorizations: ['cGluZ2FwOjEyMzEyMw=='],
      hide_credentials: true,
    },
    ipLimit: { category: 'limit', tag: 'query' },
    innerIpRestriction: { category: 'ip_restriction', ip_list: ['192.168.1.1', '10.0.0.0/24'] },
    uaRestriction: { category: 'ua_restriction', ua_list: ['go-http-client/1.1', 'Twitterspider'] },
    refererRestriction: {
      category: 'referer_restriction',
      referer_list: ['example.com', '*.example.org'],
    },
    tokenCsrf: { category: 'csrf', token_path: '/csrf_token', key: 'csrf_token' },
    allCors: { category: 'cors', path: '^/api', allow_headers: 'Content-Type, Authorization' },
    customResponseHeaders: { category: 'response_headers', add_headers: ['X-Request-Id:123'] },
  }
  for (const [name, raw] of Object.entries(samples))
    assert.equal(registry.create(name, raw).name, name)
})
