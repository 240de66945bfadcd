import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { test } from 'node:test'
import { SCHEMAS } from '../../../src/config/schema.ts'

test('docs/configuration.md documents every key of every table', () => {
  const doc = readFileSync(resolve(process.cwd(), 'docs/configuration.md'), 'utf8')
  const missing: string[] = []
  for (const [category, schema] of Object.entries(SCHEMAS)) {
    const start = doc.indexOf(category === 'basic' ? '## `[basic]`' : `## \`[${category}.<name>]\``)
    assert.ok(start >= 0, `no section for ${category}`)
    const end = doc.indexOf('\n## ', start + 1)
    const section = doc.slice(start, end < 0 ? undefined : end)
    for (const key of Object.keys(schema.keys)) {
      if (!section.includes(`\`${key}\``)) missing.push(`${category}.${key}`)
    }
  }
  assert.deepEqual(missing, [])
})
