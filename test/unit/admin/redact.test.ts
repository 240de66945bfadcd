import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  redactConfig,
  redactedText,
  redactItem,
  restoreSecrets,
} from '../../../src/admin/redact.ts'
import { ConfigError } from '../../../src/core/errors.ts'

const SECRET = 'very-secret-value'

test('secret keys are redacted at any depth, other keys kept', () => {
  const config = {
    basic: { webhook: `https://hook/${SECRET}`, admin_users: [`a:${SECRET}`], name: 'x' },
    certificates: { c: { tls_cert: 'CERT', tls_key: SECRET } },
    plugins: {
      j: { category: 'jwt', secret: SECRET, header: 'Authorization' },
      b: { category: 'basic_auth', authorizations: [SECRET] },
      k: { category: 'csrf', key: SECRET, token_path: '/t' },
      l: { category: 'limit', key: 'X-Id' },
      n: { category: 'combined_auth', authorizations: [{ app_id: 'a', secret: SECRET }] },
    },
    storages: { s: { category: 'secret', secret: SECRET, value: 'v' } },
    hash: 'h',
  }
  const text = JSON.stringify(redactConfig(config))
  assert.ok(!text.includes(SECRET), text)
  assert.match(text, /<redacted sha256:[0-9a-f]{12}>/)
  assert.ok(text.includes('"tls_cert":"CERT"'))
  assert.ok(text.includes('"key":"X-Id"'), 'a limit key is not secret')
  assert.ok(text.includes('"token_path":"/t"'))
  assert.ok(text.includes('"hash":"h"'))
})

test('restoreSecrets puts the current value back for its placeholder only', () => {
  const current = { category: 'jwt', secret: SECRET, header: 'A' }
  const shown = redactItem('plugins', current)
  assert.deepEqual(restoreSecrets({ ...shown, header: 'B' }, current, 'plugins.j'), {
    category: 'jwt',
    secret: SECRET,
    header: 'B',
  })
  assert.deepEqual(restoreSecrets({ ...shown, secret: 'new' }, current, 'plugins.j').secret, 'new')
  assert.throws(
    () => restoreSecrets({ secret: redactedText('other') }, current, 'plugins.j'),
    (err: unknown) => err instanceof ConfigError && err.path === 'plugins.j.secret',
  )
  assert.throws(
    () => restoreSecrets({ secret: shown['secret'] }, undefined, 'plugins.j'),
    ConfigError,
  )
})
