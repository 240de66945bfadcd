import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { ERROR_CODES, ERRORS } from '../../../src/core/errors.ts'
import { ROOT } from '../../helpers/start-pingap.ts'

const doc = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8')

test('every error code is documented with its status in docs/errors.md', () => {
  for (const code of ERROR_CODES) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\``))
    assert.ok(row !== undefined, `${code} missing from docs/errors.md`)
    assert.ok(row.includes(`| ${ERRORS[code].status} |`), `${code}: status ${ERRORS[code].status}`)
  }
})

test('docs/errors.md mentions no code that does not exist', () => {
  const mentioned = new Set(doc.match(/PGT_ERR_[A-Z_]+/g) ?? [])
  for (const code of mentioned) assert.ok(code in ERRORS, `${code} is documented but not defined`)
})
