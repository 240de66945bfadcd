import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildDeps } from '../../../src/app.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import type { PingapConfig } from '../../../src/config/types.ts'
import { LOCATIONS_PER_STEP } from '../../../src/runtime/build-locations.ts'
import { Runtime } from '../../../src/runtime/runtime.ts'

const COUNT = LOCATIONS_PER_STEP * 4

/** COUNT locations, each with a header naming `tag`, so a new tag changes every one. */
async function config(tag: string): Promise<PingapConfig> {
  const names = Array.from({ length: COUNT }, (_, i) => `l${i}`)
  const locations = names
    .map(
      (n, i) =>
        `[locations.${n}]\npath = "/p${i}"\nupstream = "u"\nproxy_set_headers = ["x-tag: ${tag}"]\n`,
    )
    .join('')
  const store = new MemoryConfigStore({
    'pingap.toml':
      '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n' +
      locations +
      `[servers.web]\naddr = "127.0.0.1:0"\nlocations = ${JSON.stringify(names)}\n`,
  })
  return parseConfig(await store.load())
}

function tagOf(runtime: Runtime): string {
  const rule = runtime.current.servers.get('web')?.locations.get('l0')?.headerRules?.set[0]
  return String(rule?.value({} as never))
}

test('a sliced apply gives the loop back while it builds, and swaps only when complete', async () => {
  const runtime = Runtime.create(buildDeps(), await config('a'), 1)
  const next = await config('b')
  let turns = 0
  let oldServedDuringBuild = true
  const tick = (): void => {
    turns++
    if (runtime.current.version === 1 && tagOf(runtime) !== 'a') oldServedDuringBuild = false
    if (runtime.current.version === 1) setImmediate(tick)
  }
  setImmediate(tick)
  const result = await runtime.applyInSlices(next, 2)
  assert.equal(result.changed, true)
  assert.equal(runtime.current.version, 2)
  assert.equal(tagOf(runtime), 'b')
  // One turn per slice of locations at least (the build yields every LOCATIONS_PER_STEP).
  assert.ok(turns >= 3, `only ${turns} loop turns during the build`)
  assert.ok(oldServedDuringBuild)
  await runtime.close()
})

test('sliced applies run one after the other, in call order', async () => {
  const runtime = Runtime.create(buildDeps(), await config('a'), 1)
  const [b, c] = await Promise.all([config('b'), config('c')])
  const results = await Promise.all([runtime.applyInSlices(b, 2), runtime.applyInSlices(c, 3)])
  assert.deepEqual(
    results.map((r) => r.version),
    [2, 3],
  )
  assert.equal(runtime.current.version, 3)
  assert.equal(tagOf(runtime), 'c')
  // The same config again changes nothing.
  assert.equal((await runtime.applyInSlices(c, 4)).changed, false)
  await runtime.close()
})

test('a synchronous apply during a sliced one is not undone by it', async () => {
  const runtime = Runtime.create(buildDeps(), await config('a'), 1)
  const [b, c] = await Promise.all([config('b'), config('c')])
  const sliced = runtime.applyInSlices(c, 3)
  await new Promise<void>((resolve) => setImmediate(resolve))
  runtime.apply(b, 2)
  await sliced
  // The sliced build of c started from version 1; it was built again on top of version 2.
  assert.equal(runtime.current.version, 3)
  assert.equal(tagOf(runtime), 'c')
  await runtime.close()
})
