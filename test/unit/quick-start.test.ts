import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { MemoryConfigStore } from '../../src/config/memory-store.ts'
import { parseConfig } from '../../src/config/parse.ts'
import { acmeStateFile, findCertificateFiles, quickStartToml } from '../../src/quick-start.ts'
import { QuickStartStore } from '../../src/quick-start-store.ts'

async function parse(toml: string) {
  return parseConfig(await new MemoryConfigStore({ 'pingap.toml': toml }).load())
}

test('findCertificateFiles: directories with the usual names, files, and clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quick-'))
  try {
    const make = (sub: string, names: string[]): string => {
      const d = join(dir, sub)
      mkdirSync(d)
      for (const n of names) writeFileSync(join(d, n), 'x')
      return d
    }
    const le = make('le', ['fullchain.pem', 'privkey.pem', 'cert.pem'])
    assert.deepEqual(findCertificateFiles(le), {
      cert: join(le, 'fullchain.pem'),
      key: join(le, 'privkey.pem'),
    })
    const k8s = make('k8s', ['tls.crt', 'tls.key'])
    assert.deepEqual(findCertificateFiles(k8s), {
      cert: join(k8s, 'tls.crt'),
      key: join(k8s, 'tls.key'),
    })
    assert.deepEqual(findCertificateFiles(join(k8s, 'tls.crt')).key, join(k8s, 'tls.key'))
    assert.deepEqual(
      findCertificateFiles(join(le, 'cert.pem'), join(k8s, 'tls.key')).key,
      join(k8s, 'tls.key'),
    )
    const empty = make('empty', [])
    assert.throws(() => findCertificateFiles(empty), /no fullchain\.pem/)
    const lonely = make('lonely', ['server.crt'])
    assert.throws(() => findCertificateFiles(lonely), /use --key/)
    assert.throws(() => findCertificateFiles(join(dir, 'nope.pem')), /does not exist/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('quickStartToml: plain on :80, TLS and h2 on :443 with files or ACME', async () => {
  const plain = await parse(quickStartToml({ upstream: '127.0.0.1:8080' }, { kind: 'none' }))
  assert.equal(plain.servers['pingap']?.addr, '0.0.0.0:80')
  assert.equal(plain.servers['pingap']?.global_certificates, undefined)
  const files = await parse(
    quickStartToml(
      { upstream: '127.0.0.1:8080', domain: 'a.test, b.test' },
      { kind: 'files', cert: '/c.pem', key: '/k.pem' },
    ),
  )
  assert.equal(files.servers['pingap']?.addr, '0.0.0.0:443')
  assert.equal(files.servers['pingap']?.enabled_h2, true)
  assert.equal(files.locations['pingap']?.host, 'a.test,b.test')
  assert.deepEqual(files.certificates['pingap'], {
    tls_cert: '/c.pem',
    tls_key: '/k.pem',
    is_default: true,
    domains: 'a.test,b.test',
  })
  const acme = await parse(
    quickStartToml(
      { upstream: '127.0.0.1:8080', domain: 'a.test', addr: '127.0.0.1:8443' },
      { kind: 'acme', withCertificateItem: true },
    ),
  )
  assert.equal(acme.servers['pingap']?.addr, '127.0.0.1:8443')
  assert.equal(acme.certificates['pingap']?.acme, 'lets_encrypt')
})

test('QuickStartStore keeps the ACME certificate in the state file across restarts', async () => {
  const home = mkdtempSync(join(tmpdir(), 'quick-home-'))
  try {
    const file = acmeStateFile('a.test,*.b.test', home)
    assert.equal(file, join(home, '.pingap', 'acme', 'a.test__.b.test.toml'))
    const options = { upstream: '127.0.0.1:8080', domain: 'a.test,*.b.test' }
    const first = new QuickStartStore(options, file)
    const conf = parseConfig(await first.load()).certificates['pingap']
    await first.save('certificates', 'pingap', { ...conf, tls_cert: 'CERT', tls_key: 'KEY' })
    await first.save('storages', 'token', { value: 'x' })
    assert.equal(statSync(file).mode & 0o777, 0o600)
    const second = new QuickStartStore(options, file)
    const config = parseConfig(await second.load())
    assert.equal(config.certificates['pingap']?.tls_cert, 'CERT')
    assert.equal(config.certificates['pingap']?.acme, 'lets_encrypt')
    assert.equal(config.storages['token'], undefined, 'only the certificate is kept')
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})
