/**
 * Two real `bin/pingap-ts` nodes sharing one config in a real etcd (docs/cluster.md): an admin
 * edit on one reaches the other within 1 s with no failed request under load; a bad version is
 * rejected identically by both; both keep serving with etcd stopped; a node restarted while
 * etcd is down serves its last good version; both catch up when etcd is back; two admins
 * publishing at once: one wins, the other gets 412; each node's status is a leased etcd key.
 */
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- the API's JSON bodies are checked by the assertions themselves */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { EtcdConfigStore } from '../../src/config/etcd-store.ts'
import { etcdMissing, startEtcd, type EtcdServer } from '../helpers/etcd.ts'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startLoad } from '../helpers/load.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const AUTH = `Basic ${Buffer.from('admin:etcd-Secret-1').toString('base64')}`

interface ApiResponse {
  readonly status: number
  readonly etag: string | null
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies, checked by assertions
  readonly json: any
}

async function api(base: string, path: string, init: RequestInit = {}): Promise<ApiResponse> {
  const res = await fetch(new URL(`/api/v1${path}`, base), {
    ...init,
    headers: { authorization: AUTH, 'content-type': 'application/json', ...init.headers },
  })
  const text = await res.text()
  return { status: res.status, etag: res.headers.get('etag'), json: text ? JSON.parse(text) : {} }
}

async function etagOf(admin: string): Promise<string> {
  const res = await api(admin, '/config')
  assert.equal(res.status, 200)
  return res.etag ?? ''
}

/** PUTs `locations.probe` pointing at `upstream`, based on the node's current version. */
async function putProbe(admin: string, upstream: string, etag?: string): Promise<ApiResponse> {
  return api(admin, '/config/locations/probe', {
    method: 'PUT',
    headers: { 'if-match': etag ?? (await etagOf(admin)) },
    body: JSON.stringify({ path: '/probe', upstream }),
  })
}

interface Node {
  pingap: Pingap
  readonly web: string
  readonly admin: string
}

describe('two nodes sharing an etcd prefix', { skip: etcdMissing }, () => {
  let etcd: EtcdServer
  let seed: EtcdConfigStore
  let cacheRoot: string
  let url: (node: string) => string
  const ups = new Map<string, TestUpstream>()
  const nodes = new Map<string, Node>()

  async function startNode(id: string): Promise<Node> {
    const pingap = await startPingap(
      {},
      {
        noConf: true,
        args: ['-c', url(id), '--autoreload', '--admin', 'admin:etcd-Secret-1@127.0.0.1:0'],
        env: { PINGAP_NODE_ID: id, PINGAP_NODE_TTL: '3' },
        waitFor: ['web', 'pingap:admin'],
      },
    )
    const node = {
      pingap,
      web: pingap.servers.get('web')!,
      admin: pingap.servers.get('pingap:admin')!,
    }
    nodes.set(id, node)
    return node
  }

  const probe = async (node: Node): Promise<string> => (await request(node.web, '/probe')).body

  before(async () => {
    etcd = await startEtcd()
    cacheRoot = await mkdtemp(join(tmpdir(), 'pgt-etcd-nodes-'))
    const prefix = `/cluster-${process.pid}`
    url = (node) =>
      `etcd://127.0.0.1:${etcd.clientPort}${prefix}?timeout=1s&connect_timeout=500ms&cache_dir=${join(cacheRoot, node)}`
    for (const name of ['one', 'two', 'three', 'four'])
      ups.set(name, await startUpstream(undefined, name))
    seed = new EtcdConfigStore(url('seed'))
    await seed.publish([
      { category: 'basic', name: '', value: { name: 'etcd-e2e', grace_period: '3s' } },
      ...[...ups].map(([name, up]) => ({
        category: 'upstreams' as const,
        name,
        value: { addrs: [up.addr] },
      })),
      { category: 'locations', name: 'load', value: { path: '/load', upstream: 'one' } },
      { category: 'locations', name: 'probe', value: { path: '/probe', upstream: 'one' } },
      {
        category: 'servers',
        name: 'web',
        value: { addr: '127.0.0.1:0', locations: ['load', 'probe'] },
      },
    ])
    await startNode('a')
    await startNode('b')
  })

  after(async () => {
    for (const node of nodes.values()) await node.pingap.stop('SIGKILL')
    for (const up of ups.values()) await up.close()
    await etcd?.close()
    await rm(cacheRoot, { recursive: true, force: true })
  })

  test('an admin edit on A reaches B within 1 s; no request fails on either', async (t) => {
    const a = nodes.get('a')!
    const b = nodes.get('b')!
    const loads = [startLoad(a.web, '/load', 4), startLoad(b.web, '/load', 4)]
    const lags: number[] = []
    try {
      for (const [i, upstream] of ['two', 'three', 'one'].entries()) {
        const writer = i % 2 === 0 ? a : b
        const reader = i % 2 === 0 ? b : a
        const res = await putProbe(writer.admin, upstream)
        assert.equal(res.status, 200, JSON.stringify(res.json))
        const applied = Date.now()
        assert.equal(await probe(writer), `${upstream} GET /probe`)
        await eventually(
          async () => assert.equal(await probe(reader), `${upstream} GET /probe`),
          5000,
          10,
        )
        const lag = Date.now() - applied
        assert.ok(lag < 1000, `the other node applied it after ${lag} ms`)
        lags.push(lag)
      }
      t.diagnostic(`propagation to the other node: ${lags.join(', ')} ms`)
    } finally {
      for (const load of loads) {
        const result = await load.stop()
        assert.deepEqual(result.failures, [])
        assert.ok(result.total > 20, `only ${result.total} requests`)
      }
    }
  })

  test('each node reports its applied version under a leased key; the admin status lists both', async () => {
    const a = nodes.get('a')!
    const status = await eventually(async () => {
      const res = await api(a.admin, '/status')
      assert.equal(res.status, 200)
      assert.deepEqual(
        res.json.nodes.map((n: { nodeId: string }) => n.nodeId),
        ['a', 'b'],
      )
      const hashes = new Set(res.json.nodes.map((n: { appliedHash: string }) => n.appliedHash))
      assert.deepEqual([...hashes], [res.json.current.hash])
      return res.json
    })
    assert.ok(status.nodes[1].listeners[0].startsWith('web=127.0.0.1:'))
  })

  test('an invalid version is rejected identically by both, and both keep serving', async () => {
    const a = nodes.get('a')!
    const b = nodes.get('b')!
    // Through the admin API: 422 with the same issues on either node, nothing is written.
    const bad = { path: '/bad', upstream: 'nowhere', colour: 'blue' }
    const answers = await Promise.all(
      [a, b].map(async (n) =>
        api(n.admin, '/config/locations/bad', {
          method: 'PUT',
          headers: { 'if-match': await etagOf(n.admin) },
          body: JSON.stringify(bad),
        }),
      ),
    )
    for (const res of answers) assert.equal(res.status, 422, JSON.stringify(res.json))
    assert.deepEqual(answers[0]!.json.issues, answers[1]!.json.issues)
    // Written into etcd behind the nodes' back: both reject it with the same reason.
    const key = `${seed.prefix}locations/bad.toml`
    await seed.client.put(
      key,
      '[locations.bad]\npath = "/bad"\nupstream = "nowhere"\ncolour = "blue"\n',
    )
    const rejected = await Promise.all(
      [a, b].map((n) =>
        eventually(async () => {
          const res = await api(n.admin, '/status')
          assert.ok(res.json.lastRejected !== null, 'not rejected yet')
          return res.json.lastRejected.errors
        }),
      ),
    )
    assert.deepEqual(rejected[0], rejected[1])
    assert.match(rejected[0].join('\n'), /colour/)
    await eventually(async () => {
      const res = await api(a.admin, '/status')
      for (const n of res.json.nodes) assert.deepEqual(n.lastRejected?.errors, rejected[0])
    })
    assert.equal(await probe(a), 'one GET /probe')
    assert.equal(await probe(b), 'one GET /probe')
    await seed.client.txn([[key, undefined]])
    for (const n of [a, b]) {
      await eventually(async () =>
        assert.equal((await api(n.admin, '/status')).json.lastRejected, null),
      )
    }
  })

  test('two admins publishing at once: one wins, the other gets 412', async () => {
    const a = nodes.get('a')!
    const b = nodes.get('b')!
    for (const [x, y] of [
      ['two', 'three'],
      ['four', 'one'],
      ['three', 'two'],
    ] as const) {
      const [ea, eb] = await Promise.all([etagOf(a.admin), etagOf(b.admin)])
      const [ra, rb] = await Promise.all([putProbe(a.admin, x, ea), putProbe(b.admin, y, eb)])
      assert.deepEqual(
        [ra.status, rb.status].sort(),
        [200, 412],
        JSON.stringify([ra.json, rb.json]),
      )
      const winner = ra.status === 200 ? x : y
      const loser = ra.status === 200 ? rb : ra
      assert.equal(loser.json.code, 'PGT_ERR_CONFIG_CONFLICT')
      for (const n of [a, b]) {
        await eventually(async () => assert.equal(await probe(n), `${winner} GET /probe`))
      }
    }
    // Settle on a known state for what follows.
    assert.equal((await putProbe(a.admin, 'one')).status, 200)
    await eventually(async () => assert.equal(await probe(b), 'one GET /probe'))
  })

  test('etcd down: both keep serving; a node restarted meanwhile serves its last good copy; both catch up', async () => {
    const a = nodes.get('a')!
    const loadA = startLoad(a.web, '/load', 4)
    let loadB = startLoad(nodes.get('b')!.web, '/load', 4)
    try {
      await etcd.stop()
      // Proof that traffic flowed while etcd was down: a few hundred requests on each node.
      await eventually(async () => assert.equal(await probe(a), 'one GET /probe'))
      const before = ups.get('one')!.seen.length
      await eventually(() => assert.ok(ups.get('one')!.seen.length > before + 200), 20_000)
      assert.deepEqual((await loadB.stop()).failures, [])
      // B restarts while etcd is down: it starts from its local copy, loudly.
      await nodes.get('b')!.pingap.stop()
      const b = await startNode('b')
      loadB = startLoad(b.web, '/load', 4)
      const warned = await b.pingap.waitForLog((l) => String(l['msg']).includes('etcd unreachable'))
      assert.equal(warned['level'], 'warn')
      assert.equal(await probe(b), 'one GET /probe')
      // Writes cannot be published while etcd is down; nothing changes.
      const refused = await putProbe(a.admin, 'two')
      assert.notEqual(refused.status, 200)
      assert.equal(await probe(a), 'one GET /probe')
      await etcd.start()
      // Another publisher changes the config as soon as etcd is back: both nodes catch up.
      await seed.load()
      await seed.publish([
        { category: 'locations', name: 'probe', value: { path: '/probe', upstream: 'four' } },
      ])
      for (const n of [a, b]) {
        await eventually(async () => assert.equal(await probe(n), 'four GET /probe'), 20_000)
      }
      // And B's status key is back.
      await eventually(async () => {
        const res = await api(a.admin, '/status')
        assert.deepEqual(
          res.json.nodes.map((n: { nodeId: string }) => n.nodeId),
          ['a', 'b'],
        )
      }, 20_000)
    } finally {
      for (const load of [loadA, loadB]) {
        const result = await load.stop()
        assert.deepEqual(result.failures, [])
      }
    }
  })

  test('a node that stops takes its status key with it', async () => {
    await nodes.get('b')!.pingap.stop()
    nodes.delete('b')
    await eventually(async () => {
      const res = await api(nodes.get('a')!.admin, '/status')
      assert.deepEqual(
        res.json.nodes.map((n: { nodeId: string }) => n.nodeId),
        ['a'],
      )
    })
  })
})
