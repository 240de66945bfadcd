import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { parseTlsVersion, serverTlsSettings } from '../../../src/tls/server-options.ts'

test('parseTlsVersion maps both spellings; anything else means TLS 1.2', () => {
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'TLSv1.3'],
    ['', 'TLSv1.3'],
    ['tlsv1.1', 'TLSv1.1'],
    ['TLSv1.2', 'TLSv1.2'],
    ['tls1.2', 'TLSv1.2'],
    ['tlsv1.3', 'TLSv1.3'],
    ['TLS1.3', 'TLSv1.3'],
    ['sslv3', 'TLSv1.2'],
  ]
  for (const [text, want] of cases) assert.equal(parseTlsVersion(text, 'TLSv1.3'), want, text)
})

test('serverTlsSettings: defaults, cipher strings, h2 and the listener key', () => {
  const plain = serverTlsSettings({ addr: ':0', global_certificates: true }, 'web')
  assert.equal(plain.minVersion, 'TLSv1.2')
  assert.equal(plain.maxVersion, 'TLSv1.3')
  assert.equal(plain.ciphers, undefined)
  assert.equal(plain.h2, false)
  const tuned = serverTlsSettings(
    {
      addr: ':0',
      tls_cipher_list: 'ECDHE-RSA-AES128-GCM-SHA256',
      tls_ciphersuites: 'TLS_AES_128_GCM_SHA256',
      enabled_h2: true,
    },
    'web',
  )
  assert.equal(tuned.ciphers, 'ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256')
  assert.equal(tuned.h2, true)
  assert.notEqual(tuned.key, plain.key)
  const old = serverTlsSettings({ addr: ':0', tls_min_version: 'tlsv1.1' }, 'web')
  assert.match(old.ciphers ?? '', /@SECLEVEL=0/)
})

test('serverTlsSettings rejects a cipher string OpenSSL refuses and min above max', () => {
  const cases: Array<[Parameters<typeof serverTlsSettings>[0], string]> = [
    [{ addr: ':0', tls_cipher_list: 'NOT-A-CIPHER' }, 'servers.web.tls_cipher_list'],
    [
      { addr: ':0', tls_min_version: 'tlsv1.3', tls_max_version: 'tlsv1.2' },
      'servers.web.tls_min_version',
    ],
  ]
  for (const [conf, path] of cases) {
    assert.throws(
      () => serverTlsSettings(conf, 'web'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      path,
    )
  }
})
