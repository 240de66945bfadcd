import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PingapConfig } from '../../../src/config/types.ts'
import { ConfigError } from '../../../src/core/errors.ts'
import {
  acmeDirectory,
  acmeSettings,
  implicitChallengeServer,
  LETS_ENCRYPT_PRODUCTION,
  LETS_ENCRYPT_STAGING,
} from '../../../src/tls/acme-conf.ts'

test('acmeDirectory: named directories and URLs', () => {
  const cases: Array<[string, string]> = [
    ['lets_encrypt', LETS_ENCRYPT_PRODUCTION],
    ['Lets_Encrypt_Staging', LETS_ENCRYPT_STAGING],
    ['https://127.0.0.1:14000/dir', 'https://127.0.0.1:14000/dir'],
  ]
  for (const [value, want] of cases) assert.equal(acmeDirectory(value, 'p'), want)
  assert.throws(() => acmeDirectory('zerossl', 'certificates.a.acme'), ConfigError)
})

test('acmeSettings: domains sorted and de-duplicated, challenge type, renewal window', () => {
  assert.equal(acmeSettings('a', { tls_cert: 'x' }), undefined)
  const http = acmeSettings('a', { acme: 'lets_encrypt', domains: 'b.test, A.test,b.test' })
  assert.deepEqual(http?.domains, ['a.test', 'b.test'])
  assert.equal(http?.challenge, 'http-01')
  assert.equal(http?.renewDays, 2)
  const dns = acmeSettings('a', {
    acme: 'lets_encrypt',
    domains: '*.a.test',
    dns_challenge: true,
    buffer_days: 10,
  })
  assert.equal(dns?.challenge, 'dns-01')
  assert.equal(dns?.dnsProvider, 'manual')
  assert.equal(dns?.renewDays, 10)
  const bad: Array<[Parameters<typeof acmeSettings>[1], string]> = [
    [{ acme: 'lets_encrypt' }, 'certificates.a.domains'],
    [{ acme: 'lets_encrypt', domains: '*.a.test' }, 'certificates.a.dns_challenge'],
  ]
  for (const [conf, path] of bad) {
    assert.throws(
      () => acmeSettings('a', conf),
      (err: unknown) => err instanceof ConfigError && err.path === path,
    )
  }
})

test('implicitChallengeServer: only for HTTP-01 and when no plain server has the port', () => {
  const base: Pick<PingapConfig, 'basic' | 'servers' | 'certificates'> = {
    basic: {},
    servers: { tls: { addr: '0.0.0.0:443', global_certificates: true } },
    certificates: { a: { acme: 'lets_encrypt', domains: 'a.test' } },
  }
  assert.deepEqual(implicitChallengeServer(base), { addr: '0.0.0.0:80' })
  assert.deepEqual(
    implicitChallengeServer({ ...base, basic: { acme_challenge_addr: '127.0.0.1:5002' } }),
    { addr: '127.0.0.1:5002' },
  )
  const withPlain = { ...base, servers: { ...base.servers, web: { addr: '0.0.0.0:80' } } }
  assert.equal(implicitChallengeServer(withPlain), undefined)
  const dnsOnly = {
    ...base,
    certificates: { a: { acme: 'lets_encrypt', domains: 'a.test', dns_challenge: true } },
  }
  assert.equal(implicitChallengeServer(dnsOnly), undefined)
})
