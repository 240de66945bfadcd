import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { loadCertificate, sanNames } from '../../../src/tls/certificate.ts'
import { makeCa, makeCert } from '../../helpers/certs.ts'

function configError(path: string) {
  return (err: unknown): boolean => err instanceof ConfigError && err.path === path
}

test('loadCertificate takes domains from the SAN list unless `domains` is set', async () => {
  const c = await makeCert({ dns: ['A.test', '*.b.test'], ips: ['127.0.0.1'] })
  const fromSan = loadCertificate('web', { tls_cert: c.cert, tls_key: c.key })
  assert.deepEqual(fromSan.domains, ['a.test', '*.b.test', '127.0.0.1'])
  assert.ok(fromSan.context !== undefined)
  const listed = loadCertificate('web', {
    tls_cert: c.cert,
    tls_key: c.key,
    domains: 'x.test, Y.test.',
  })
  assert.deepEqual(listed.domains, ['x.test', 'y.test'])
  assert.deepEqual(sanNames(fromSan.leaf), ['A.test', '*.b.test', '127.0.0.1'])
})

test('loadCertificate keeps the chain and reads the validity dates', async () => {
  const ca = await makeCa()
  const notAfter = new Date(Date.UTC(2030, 0, 2))
  const leaf = await makeCert({ dns: ['a.test'], issuer: ca, notAfter })
  const loaded = loadCertificate('web', { tls_cert: leaf.chain, tls_key: leaf.key })
  assert.equal(loaded.certPem.match(/BEGIN CERTIFICATE/g)?.length, 2)
  assert.equal(loaded.notAfter.getTime(), notAfter.getTime())
  assert.equal(loaded.warningDays, 7)
  assert.equal(
    loadCertificate('web', { tls_cert: leaf.chain, tls_key: leaf.key, buffer_days: 30 })
      .warningDays,
    30,
  )
})

test('loadCertificate rejects bad input with the key path', async () => {
  const a = await makeCert({ dns: ['a.test'] })
  const b = await makeCert({ dns: ['b.test'] })
  const garbage =
    '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n'
  const cases: Array<[string, Parameters<typeof loadCertificate>[1], string]> = [
    ['key of another certificate', { tls_cert: a.cert, tls_key: b.key }, 'tls_key'],
    ['unparsable certificate', { tls_cert: garbage, tls_key: a.key }, 'tls_cert'],
    ['no certificate block', { tls_cert: a.key, tls_key: a.key }, 'tls_cert'],
    ['unparsable key', { tls_cert: a.cert, tls_key: a.cert }, 'tls_key'],
  ]
  for (const [name, conf, key] of cases) {
    assert.throws(() => loadCertificate('web', conf), configError(`certificates.web.${key}`), name)
  }
})

test('is_ca on a certificate that is not a CA is accepted, as Pingap accepts it', async () => {
  const a = await makeCert({ dns: ['a.test'] })
  const loaded = loadCertificate('web', { tls_cert: a.cert, tls_key: a.key, is_ca: true })
  assert.equal(loaded.isCa, true)
})
