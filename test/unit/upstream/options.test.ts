import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { poolSettings, upstreamOptions } from '../../../src/upstream/options.ts'

test('upstreamOptions converts durations and TLS keys', () => {
  assert.deepEqual(upstreamOptions({ addrs: ['a'] }), {
    connectTimeoutMs: undefined,
    readTimeoutMs: undefined,
    writeTimeoutMs: undefined,
    idleTimeoutMs: 60_000,
    tls: false,
    sni: undefined,
    verifyCert: true,
  })
  assert.deepEqual(
    upstreamOptions({
      addrs: ['a'],
      connection_timeout: '1s',
      read_timeout: '1m30s',
      write_timeout: '500ms',
      idle_timeout: '2m',
      sni: 'api.test',
      verify_cert: false,
    }),
    {
      connectTimeoutMs: 1000,
      readTimeoutMs: 90_000,
      writeTimeoutMs: 500,
      idleTimeoutMs: 120_000,
      tls: true,
      sni: 'api.test',
      verifyCert: false,
    },
  )
  assert.equal(upstreamOptions({ addrs: ['a'], sni: '' }).tls, false)
})

test('a malformed duration is a ConfigError naming the key', () => {
  assert.throws(
    () => upstreamOptions({ addrs: ['a'], read_timeout: 'later' }, 'app'),
    (err: unknown) => err instanceof ConfigError && err.path === 'upstreams.app.read_timeout',
  )
})

test('poolSettings maps connect timeouts, pool size, ALPN and SNI', () => {
  const settings = (conf: Record<string, unknown>, basic = {}): ReturnType<typeof poolSettings> => {
    const full = { addrs: ['a'], ...conf }
    return poolSettings(full, basic, upstreamOptions(full, 'app'), 'app')
  }
  assert.equal(settings({}).connections, 128)
  assert.equal(settings({}, { upstream_keepalive_pool_size: 8 }).connections, 8)
  assert.equal(settings({}).connectTimeoutMs, undefined)
  assert.equal(settings({ connection_timeout: '2s' }).connectTimeoutMs, 2000)
  // Plain TCP: the smaller bound applies; TLS: the total (TCP + handshake) one.
  assert.equal(
    settings({ connection_timeout: '2s', total_connection_timeout: '5s' }).connectTimeoutMs,
    2000,
  )
  assert.equal(
    settings({ connection_timeout: '2s', total_connection_timeout: '5s', sni: 'x' })
      .connectTimeoutMs,
    5000,
  )
  assert.equal(settings({ idle_timeout: '5s' }).keepAliveTimeoutMs, 5000)
  assert.equal(settings({ sni: 'x', alpn: 'H2' }).allowH2, true)
  assert.equal(settings({ alpn: 'h2' }).allowH2, false)
  assert.equal(settings({ alpn: 'h2' }).h2c, true)
  assert.equal(settings({ alpn: 'h2h1' }).h2c, false)
  assert.equal(settings({ sni: 'x', alpn: 'h2' }).h2c, false)
  assert.equal(settings({ sni: '$host' }).servername, undefined)
  assert.equal(settings({ sni: 'api.test' }).servername, 'api.test')
  assert.equal(settings({ tcp_idle: '30s' }).tcpKeepAliveDelayMs, 30_000)
})
