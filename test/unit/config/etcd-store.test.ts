import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { parseEtcdUrl, prefixEnd } from '../../../src/config/etcd/client.ts'
import { EtcdConfigStore, RevisionConflictError } from '../../../src/config/etcd-store.ts'
import { etcdMissing, freePort, startEtcd, type EtcdServer } from '../../helpers/etcd.ts'
import { eventually } from '../../helpers/eventually.ts'
import { configStoreContract } from './config-store.contract.ts'

describe('parseEtcdUrl', () => {
  const cases: Array<[string, Partial<ReturnType<typeof parseEtcdUrl>>]> = [
    [
      'etcd://127.0.0.1:2379/pingap',
      { endpoints: ['http://127.0.0.1:2379'], prefix: '/pingap', timeoutMs: 10_000 },
    ],
    [
      'etcd://a:1,b:2/x/y/?timeout=5s&connect_timeout=200ms&user=u&password=p',
      {
        endpoints: ['http://a:1', 'http://b:2'],
        prefix: '/x/y',
        timeoutMs: 5000,
        connectTimeoutMs: 200,
        user: 'u',
        password: 'p',
      },
    ],
    ['etcd://h:1', { prefix: '' }],
    ['etcd://h:1/p?cache_dir=/tmp/c', { cacheDir: '/tmp/c' }],
  ]
  for (const [url, expected] of cases) {
    test(url, () => {
      const got = parseEtcdUrl(url) as unknown as Record<string, unknown>
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(got[key], value, key)
    })
  }
  test('prefixEnd increments the last byte', () => {
    assert.equal(Buffer.from(prefixEnd('/a/'), 'base64').toString(), '/a0')
  })
})

let shared: EtcdServer | undefined
let counter = 0
const cacheRoot = mkdtemp(join(tmpdir(), 'pgt-etcd-cache-'))
after(async () => {
  await shared?.close()
  await rm(await cacheRoot, { recursive: true, force: true })
})

async function server(): Promise<EtcdServer> {
  shared ??= await startEtcd()
  return shared
}

async function openStore(extra = ''): Promise<EtcdConfigStore> {
  const etcd = await server()
  counter++
  const cache = join(await cacheRoot, String(counter))
  return new EtcdConfigStore(
    `etcd://127.0.0.1:${etcd.clientPort}/t${process.pid}-${counter}?timeout=2s&cache_dir=${cache}${extra}`,
  )
}

if (etcdMissing === undefined) {
  configStoreContract('etcd store', async () => ({
    store: await openStore(),
    cleanup: () => Promise.resolve(),
  }))
}

describe('etcd store', { skip: etcdMissing }, () => {
  test('keys follow the per-item layout and sources name them', async () => {
    const store = await openStore()
    await store.save('upstreams', 'api', { addrs: ['127.0.0.1:1'] })
    const loaded = await store.load()
    const source = loaded.sources.get('upstreams.api') ?? ''
    assert.match(source, /^etcd:\/t\d+-\d+\/upstreams\/api\.toml$/)
  })

  test('publish writes several items at once, guarded by the base revision', async () => {
    const store = await openStore()
    const other = new EtcdConfigStore(store.url)
    await store.load()
    const base = store.revision
    await store.publish(
      [
        { category: 'upstreams', name: 'u', value: { addrs: ['127.0.0.1:1'] } },
        { category: 'locations', name: 'l', value: { upstream: 'u' } },
      ],
      base,
    )
    const raw = (await other.load()).raw
    assert.deepEqual(Object.keys(raw).sort(), ['locations', 'upstreams'])
    // A second publisher still on the old base loses.
    await assert.rejects(
      other.publish([{ category: 'upstreams', name: 'u', value: { addrs: ['x:1'] } }], base),
      RevisionConflictError,
    )
    assert.deepEqual((await other.load()).raw['upstreams'], { u: { addrs: ['127.0.0.1:1'] } })
  })

  test('a delete by another publisher also fails an older base; node keys never do', async () => {
    const store = await openStore()
    await store.publish([
      { category: 'upstreams', name: 'gone', value: { addrs: ['127.0.0.1:1'] } },
    ])
    const other = new EtcdConfigStore(store.url)
    const loaded = await other.load()
    const base = other.revisionOf(loaded)
    assert.equal(base, other.revision)
    // A node status write under <prefix>nodes/ is outside the guarded ranges.
    await store.client.put(`${store.nodesPrefix}n1`, '{}')
    await store.publish([{ category: 'upstreams', name: 'gone', value: undefined }])
    await assert.rejects(
      other.publish([{ category: 'locations', name: 'l', value: { upstream: 'x' } }], base),
      RevisionConflictError,
    )
    const fresh = await other.load()
    await store.client.put(`${store.nodesPrefix}n2`, '{}')
    await other.publish(
      [{ category: 'upstreams', name: 'x', value: { addrs: ['127.0.0.1:2'] } }],
      other.revisionOf(fresh),
    )
    assert.deepEqual(Object.keys((await store.load()).raw['upstreams'] ?? {}), ['x'])
  })

  test('watch ignores node status keys', async () => {
    const store = await openStore()
    await store.load()
    const controller = new AbortController()
    // What each tick reads: a tick for a node key would read no basic at all.
    const names: unknown[] = []
    const done = (async () => {
      for await (const _ of store.watch(controller.signal)) {
        names.push(((await store.load()).raw['basic'] as { name?: string } | undefined)?.name)
      }
    })()
    await store.client.put(`${store.nodesPrefix}n1`, '{}')
    await store.client.put(`${store.nodesPrefix}n1`, '{"a":1}')
    await new EtcdConfigStore(store.url).save('basic', '', { name: 'seen' })
    await eventually(() => assert.ok(names.includes('seen')))
    controller.abort()
    await done
    assert.deepEqual(names, ['seen'])
  })

  test('watch yields after a change made by another node', async () => {
    const store = await openStore()
    const writer = new EtcdConfigStore(store.url)
    await store.load()
    const controller = new AbortController()
    let ticks = 0
    const done = (async () => {
      for await (const _ of store.watch(controller.signal)) ticks++
    })()
    await writer.save('basic', '', { name: 'changed' })
    await eventually(() => assert.ok(ticks >= 1))
    assert.deepEqual((await store.load()).raw['basic'], { name: 'changed' })
    controller.abort()
    await done
  })

  test('fails over to the next endpoint', async () => {
    const etcd = await server()
    const dead = await freePort()
    const store = new EtcdConfigStore(
      `etcd://127.0.0.1:${dead},127.0.0.1:${etcd.clientPort}/fo${process.pid}?cache_dir=${join(await cacheRoot, 'fo')}`,
    )
    await store.save('basic', '', { name: 'fo' })
    assert.deepEqual((await store.load()).raw['basic'], { name: 'fo' })
  })

  test('load falls back to the local copy when etcd is unreachable', async () => {
    const cache = join(await cacheRoot, 'fallback')
    const etcd = await server()
    const good = new EtcdConfigStore(
      `etcd://127.0.0.1:${etcd.clientPort}/fb${process.pid}?cache_dir=${cache}`,
    )
    await good.save('basic', '', { name: 'kept' })
    await good.load()
    // Same URL shape, but etcd is not there: the cache is keyed by URL, so reuse it by copying.
    const dead = await freePort()
    const url = `etcd://127.0.0.1:${dead}/fb${process.pid}?cache_dir=${cache}&timeout=500ms`
    await assert.rejects(new EtcdConfigStore(url).load())
    await etcd.stop()
    try {
      const offline = new EtcdConfigStore(good.url)
      assert.deepEqual((await offline.load()).raw['basic'], { name: 'kept' })
    } finally {
      await etcd.start()
    }
  })
})
