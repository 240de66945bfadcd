import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { BUILTIN_PLUGINS } from '../../../src/plugins/builtin/index.ts'

// Tests run from the repository root (npm scripts do).
const DOCS = join(process.cwd(), 'docs', 'plugins')

test('every built-in category has a doc page listed in docs/plugins/README.md', () => {
  const readme = readFileSync(join(DOCS, 'README.md'), 'utf8')
  for (const { category } of BUILTIN_PLUGINS) {
    assert.ok(existsSync(join(DOCS, `${category}.md`)), category)
    assert.ok(readme.includes(`[${category}](${category}.md)`), category)
  }
})
