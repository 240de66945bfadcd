import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { createServer, connect, type SecureContext } from 'node:tls'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import type { ConfigError } from '../../../src/core/errors.ts'
import { ConfigErrors } from '../../../src/core/errors.ts'
import { buildSniStore, type SniStore } from '../../../src/tls/sni-store.ts'
import { makeCa, makeCert } from '../../helpers/certs.ts'

function select(store: SniStore, name: string): Promise<SecureContext | Error> {
  return new Promise((resolve) => {
    store.select(name, (err, ctx) => resolve(err ?? (ctx as SecureContext)))
  })
}

test('lookup: exact name, then *.parent, then the default, else nothing', async () => {
  const exact = await makeCert({ dns: ['a.example.test'] })
  const wild = await makeCert({ dns: ['*.example.test'] })
  const fallback = await makeCert({ dns: ['fallback.test'] })
  const certs = {
    exact: { tls_cert: exact.cert, tls_key: exact.key },
    wild: { tls_cert: wild.cert, tls_key: wild.key },
    fallback: { tls_cert: fallback.cert, tls_key: fallback.key, is_default: true },
    pending: { acme: 'lets_encrypt', domains: 'acme.test' },
  }
  const store = buildSniStore(certs)
  const cases: Array<[string, string]> = [
    ['a.example.test', 'exact'],
    ['A.Example.Test.', 'exact'],
    ['b.example.test', 'wild'],
    ['example.test', 'fallback'],
    ['x.b.example.test', 'fallback'],
    ['unknown.test', 'fallback'],
    ['fallback.test', 'fallback'],
  ]
  for (const [name, want] of cases) assert.equal(store.lookup(name)?.name, want, name)
  assert.deepEqual(store.certificates.map((c) => c.name).sort(), ['exact', 'fallback', 'wild'])
  assert.equal(store.defaultKeyPair?.cert, fallback.cert)

  const noDefault = buildSniStore({ exact: certs.exact })
  assert.equal(noDefault.lookup('unknown.test'), undefined)
  assert.ok((await select(noDefault, 'unknown.test')) instanceof Error)
  assert.equal(noDefault.defaultKeyPair, undefined)
})

test('a name claimed twice goes to the first certificate by item name', async () => {
  const one = await makeCert({ dns: ['same.test'] })
  const two = await makeCert({ dns: ['same.test'] })
  const store = buildSniStore({
    zz: { tls_cert: one.cert, tls_key: one.key },
    aa: { tls_cert: two.cert, tls_key: two.key },
  })
  assert.equal(store.lookup('same.test')?.name, 'aa')
})

test('unchanged certificates are reused by the next build; changed ones are reloaded', async () => {
  const a = await makeCert({ dns: ['a.test'] })
  const b = await makeCert({ dns: ['b.test'] })
  const first = buildSniStore({ a: { tls_cert: a.cert, tls_key: a.key } })
  const same = buildSniStore({ a: { tls_cert: a.cert, tls_key: a.key } }, first)
  assert.equal(same.lookup('a.test'), first.lookup('a.test'))
  const changed = buildSniStore({ a: { tls_cert: b.cert, tls_key: b.key } }, first)
  assert.notEqual(changed.lookup('b.test'), first.lookup('a.test'))
  assert.equal(changed.lookup('a.test'), undefined)
})

test('every broken certificate is reported, each with its key path', async () => {
  const a = await makeCert({ dns: ['a.test'] })
  const b = await makeCert({ dns: ['b.test'] })
  assert.throws(
    () =>
      buildSniStore({
        one: { tls_cert: a.cert, tls_key: b.key },
        two: { tls_cert: 'garbage-not-a-file', tls_key: a.key },
        fine: { tls_cert: b.cert, tls_key: b.key },
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigErrors)
      const paths = err.errors.map((e: ConfigError) => e.path).sort()
      assert.deepEqual(paths, ['certificates.one.tls_key', 'certificates.two.tls_cert'])
      return true
    },
  )
})

test('an is_ca certificate mints one leaf per SNI name, signed by it, cached', async () => {
  const ca = await makeCa()
  const store = buildSniStore({
    ca: { tls_cert: ca.cert, tls_key: ca.key, is_ca: true, domains: '*.mint.test' },
  })
  const server = createServer({ SNICallback: (name, cb) => store.select(name, cb) }, (s) => s.end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const peer = (servername: string): Promise<X509Certificate> =>
    new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', servername, ca: ca.cert }, () => {
        const raw = socket.getPeerX509Certificate()
        socket.destroy()
        if (raw === undefined) reject(new Error('no certificate'))
        else resolve(raw)
      })
      socket.once('error', reject)
    })
  try {
    const one = await peer('one.mint.test')
    assert.match(one.subjectAltName ?? '', /DNS:one\.mint\.test/)
    assert.ok(one.checkIssued(new X509Certificate(ca.cert)))
    const again = await peer('one.mint.test')
    assert.equal(again.serialNumber, one.serialNumber, 'cached')
    const two = await peer('two.mint.test')
    assert.notEqual(two.serialNumber, one.serialNumber)
  } finally {
    server.close()
  }
})
