import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError } from '../../../src/core/errors.ts'
import { readPemSource } from '../../../src/tls/pem-source.ts'

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'

test('readPemSource accepts PEM text, base64 of PEM and file paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pem-'))
  const home = process.env['HOME']
  try {
    writeFileSync(join(dir, 'cert.pem'), PEM)
    process.env['HOME'] = dir
    const cases: Array<[string, string]> = [
      ['PEM text', PEM],
      ['base64 of PEM', Buffer.from(PEM).toString('base64')],
      [
        'base64 with line breaks',
        Buffer.from(PEM)
          .toString('base64')
          .replace(/(.{20})/g, '$1\n'),
      ],
      ['absolute path', join(dir, 'cert.pem')],
      ['path under ~', '~/cert.pem'],
    ]
    for (const [name, value] of cases) {
      assert.equal(readPemSource(value, 'certificates.a.tls_cert').trim(), PEM.trim(), name)
    }
  } finally {
    if (home === undefined) delete process.env['HOME']
    else process.env['HOME'] = home
    rmSync(dir, { recursive: true, force: true })
  }
})

test('readPemSource names the key when the value is unusable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pem-'))
  try {
    writeFileSync(join(dir, 'empty.pem'), 'not a pem')
    for (const value of ['/nonexistent/cert.pem', join(dir, 'empty.pem')]) {
      assert.throws(
        () => readPemSource(value, 'certificates.web.tls_key'),
        (err: unknown) => err instanceof ConfigError && err.path === 'certificates.web.tls_key',
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
