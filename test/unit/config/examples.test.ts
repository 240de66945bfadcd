import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { parseConfig } from '../../../src/config/parse.ts'
import { openConfigStore } from '../../../src/config/store.ts'

// Pingap's own example configurations (decisions §1): each must load.
const EXAMPLES = resolve(process.cwd(), '../shared/compat/pingap-examples')

function exampleConfigs(): string[] {
  const examples = join(EXAMPLES, 'examples')
  return [
    join(EXAMPLES, 'conf'),
    ...readdirSync(examples).map((name) => join(examples, name)),
    join(EXAMPLES, 'benches', 'pingap.toml'),
  ]
}

describe(
  'Pingap example configurations',
  { skip: existsSync(EXAMPLES) ? false : `${EXAMPLES} is missing` },
  () => {
    if (!existsSync(EXAMPLES)) return
    for (const path of exampleConfigs()) {
      test(path.slice(EXAMPLES.length + 1), async () => {
        const config = parseConfig(await openConfigStore(path).load())
        assert.ok(
          Object.keys(config.servers).length > 0 || Object.keys(config.locations).length > 0,
        )
      })
    }

    test('the sample stats plugin keeps its stale `value` key for the factory to refuse', async () => {
      const config = parseConfig(await openConfigStore(join(EXAMPLES, 'conf')).load())
      assert.deepEqual(config.plugins['performanceStats'], { category: 'stats', value: '/stats' })
      assert.equal(config.locations['lo']?.upstream, 'charts')
      assert.deepEqual(config.upstreams['charts']?.addrs, ['127.0.0.1:5000', '127.0.0.1:5001 10'])
    })
  },
)
