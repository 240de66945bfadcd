import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dnsProvider, registerDnsProvider, resolverServers } from '../../../src/acme/dns.ts'
import { ConfigError } from '../../../src/core/errors.ts'
import { acmeSettings } from '../../../src/tls/index.ts'

test('resolverServers reads dns://ip[:port],… and ignores anything else', () => {
  const cases: Array<[string | undefined, string[] | undefined]> = [
    [undefined, undefined],
    ['https://api.example/x', undefined],
    ['dns://127.0.0.1:8053', ['127.0.0.1:8053']],
    ['dns://10.0.0.1, 10.0.0.2/', ['10.0.0.1', '10.0.0.2']],
  ]
  for (const [url, want] of cases) assert.deepEqual(resolverServers(url), want, String(url))
})

test('dnsProvider: manual by default, registered providers, clear errors otherwise', () => {
  const ctx = { saveStorage: () => Promise.resolve() }
  const settings = (provider?: string) =>
    acmeSettings('web', {
      acme: 'lets_encrypt',
      domains: '*.a.test',
      dns_challenge: true,
      ...(provider !== undefined ? { dns_provider: provider } : {}),
    })!
  assert.ok(dnsProvider('web', settings(), ctx))
  for (const [provider, why] of [
    ['cloudflare', /not built into pingap-ts/],
    ['nope', /unknown DNS provider "nope"/],
  ] as const) {
    assert.throws(
      () => dnsProvider('web', settings(provider), ctx),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.path === 'certificates.web.dns_provider' &&
        why.test(err.message),
    )
  }
  const seen: string[] = []
  registerDnsProvider('Hook', () => ({
    present: (r) => Promise.resolve(void seen.push(`+${r.name}`)),
    cleanup: (r) => Promise.resolve(void seen.push(`-${r.name}`)),
  }))
  const hook = dnsProvider('web', settings('hook'), ctx)
  return hook
    .present({ name: '_acme-challenge.a.test', value: 'v', certificate: 'web' })
    .then(() => assert.deepEqual(seen, ['+_acme-challenge.a.test']))
})
