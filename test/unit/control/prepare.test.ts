import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigErrors } from '../../../src/core/errors.ts'
import { MemoryConfigStore } from '../../../src/config/memory-store.ts'
import { parseConfig } from '../../../src/config/parse.ts'
import type { PingapConfig } from '../../../src/config/types.ts'
import {
  decodeFailure,
  decodePrepared,
  encodeFailure,
  encodePrepared,
} from '../../../src/control/prepare.ts'
import { deltaOf } from '../../../src/control/versions.ts'

async function parsed(files: Record<string, string>): Promise<PingapConfig> {
  return parseConfig(await new MemoryConfigStore(files).load())
}

const UPSTREAMS = '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n[upstreams.v]\naddrs = ["127.0.0.1:8"]\n'
const loc = (name: string, path: string): string =>
  `[locations.${name}]\npath = "${path}"\nupstream = "u"\n`
const SERVER = (names: string[]): string =>
  `[servers.web]\naddr = "127.0.0.1:0"\nlocations = ${JSON.stringify(names)}\n`

describe('prepared configs across the thread boundary', () => {
  const cases = [
    {
      name: 'one location changed',
      after: { 'a.toml': UPSTREAMS + loc('a', '/a2') + loc('b', '/b') + SERVER(['a', 'b']) },
      changes: ['~locations.a'],
      travel: { locations: ['a'], upstreams: [], servers: [] },
      lists: [],
    },
    {
      name: 'one location added and listed',
      after: {
        'a.toml': UPSTREAMS + loc('a', '/a') + loc('b', '/b') + loc('c', '/c'),
        'b.toml': SERVER(['a', 'b', 'c']),
      },
      changes: ['~servers.web', '+locations.c'],
      travel: { locations: ['c'], upstreams: [], servers: ['web'] },
      lists: ['locations'],
    },
    {
      name: 'an upstream removed, basic changed',
      after: {
        'a.toml': '[basic]\nname = "x"\n[upstreams.u]\naddrs = ["127.0.0.1:9"]\n' + loc('a', '/a'),
        'b.toml': loc('b', '/b') + SERVER(['a', 'b']),
      },
      changes: ['basic', '-upstreams.v'],
      travel: { locations: [], upstreams: [], servers: [] },
      lists: ['upstreams'],
    },
  ]
  const before = { 'a.toml': UPSTREAMS + loc('a', '/a') + loc('b', '/b') + SERVER(['a', 'b']) }

  for (const c of cases) {
    test(`${c.name}: only changed items travel, the rest are the base's objects`, async () => {
      const base = await parsed(before)
      const next = await parsed(c.after)
      const message = structuredClone(encodePrepared(next, new Map([['x', 'f']]), base))
      for (const [category, names] of Object.entries(c.travel)) {
        assert.deepEqual(Object.keys(message.items[category as 'locations']), names, category)
      }
      // Name lists travel only where they changed.
      assert.deepEqual(Object.keys(message.names), c.lists)
      const prepared = decodePrepared(message, base)
      assert.deepEqual(prepared.config, next)
      assert.equal(prepared.config.hash, next.hash)
      assert.deepEqual([...prepared.sources], [['x', 'f']])
      assert.deepEqual(
        [...(prepared.delta?.changes ?? [])].sort(),
        [...deltaOf(base, next).changes].sort(),
      )
      assert.equal(prepared.delta?.shared, prepared.config)
      for (const [name, item] of Object.entries(prepared.config.locations)) {
        const unchanged = !c.changes.includes(`~locations.${name}`) && name in base.locations
        assert.equal(item === base.locations[name], unchanged, `locations.${name} shared`)
      }
      assert.equal(prepared.config.basic === base.basic, !c.changes.includes('basic'))
    })
  }

  test('without a base every item travels and no delta is claimed', async () => {
    const next = await parsed(before)
    const prepared = decodePrepared(
      structuredClone(encodePrepared(next, new Map(), undefined)),
      next,
    )
    assert.deepEqual(prepared.config, next)
    assert.equal(prepared.delta, undefined)
    assert.notEqual(prepared.config.locations['a'], next.locations['a'])
  })

  test('sources left out travel as the base sources the receiver holds', async () => {
    const base = await parsed(before)
    const next = await parsed({ ...before, 'b.toml': '[upstreams.w]\naddrs = ["127.0.0.1:7"]\n' })
    const held = new Map([['upstreams.u', 'a.toml']])
    const message = structuredClone(encodePrepared(next, undefined, base))
    assert.equal(message.sources, undefined)
    assert.equal(decodePrepared(message, base, held).sources, held)
    assert.throws(() => decodePrepared(message, base), /without its sources/)
    assert.throws(() => decodePrepared(encodePrepared(next, undefined, undefined), base), /sources/)
  })

  test('a message made against another config is refused', async () => {
    const base = await parsed(before)
    const other = await parsed({ 'a.toml': UPSTREAMS })
    const message = encodePrepared(await parsed(before), new Map(), base)
    assert.throws(() => decodePrepared(message, other), /prepared against config/)
  })

  test('config errors come back with the same messages (file, table and key)', async () => {
    let original: unknown
    try {
      await parsed({ 'conf/locations.toml': '[locations.a]\npaht = "/a"\nweight = "x"\n' })
    } catch (err) {
      original = err
    }
    assert.ok(original instanceof ConfigErrors)
    const rebuilt = decodeFailure(structuredClone(encodeFailure(original)))
    assert.ok(rebuilt instanceof ConfigErrors)
    assert.deepEqual(
      rebuilt.errors.map((e) => e.message),
      original.errors.map((e) => e.message),
    )
    assert.match(rebuilt.errors[0]?.message ?? '', /conf\/locations\.toml: locations\.a/)
    assert.equal(decodeFailure(encodeFailure(new Error('disk gone'))).message, 'disk gone')
  })
})
