import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { createBuiltinRegistry } from '../../../src/plugins/builtin/index.ts'

// Tests run from .build/test/unit/plugins (or /tmp/build-*/...): walk up to the repository.
function docsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'docs', 'plugins')
    if (existsSync(join(candidate, 'README.md'))) return candidate
    dir = resolve(dir, '..')
  }
  return join(process.cwd(), 'docs', 'plugins')
}
const DOCS = docsDir()
const CATEGORIES = createBuiltinRegistry().categories()

test('every registered category has docs/plugins/<category>.md, listed in the index', () => {
  const readme = readFileSync(join(DOCS, 'README.md'), 'utf8')
  const missing = CATEGORIES.filter((c) => !existsSync(join(DOCS, `${c}.md`)))
  assert.deepEqual(missing, [], `categories without a doc page: ${missing.join(', ')}`)
  const unlisted = CATEGORIES.filter((c) => !readme.includes(`[${c}](${c}.md)`))
  assert.deepEqual(
    unlisted,
    [],
    `pages missing from docs/plugins/README.md: ${unlisted.join(', ')}`,
  )
})

test('every doc page names its step and has an example table; no page without a category', () => {
  // A missing page is reported by the test above.
  for (const category of CATEGORIES.filter((c) => existsSync(join(DOCS, `${c}.md`)))) {
    const page = readFileSync(join(DOCS, `${category}.md`), 'utf8')
    assert.match(page, /^# /m, category)
    assert.match(page, /Steps?:/, `${category}: the step is not documented`)
    assert.match(page, /category = "/, `${category}: no example TOML table`)
  }
  const pages = readdirSync(DOCS).filter((f) => f.endsWith('.md') && f !== 'README.md')
  const orphans = pages.filter((f) => !CATEGORIES.includes(f.slice(0, -3)))
  assert.deepEqual(orphans, [], `pages for unknown categories: ${orphans.join(', ')}`)
})
