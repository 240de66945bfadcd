/**
 * `--sync <url>` and `--cp` against the real binary and a real etcd: files → etcd (items
 * written, stale items deleted, one transaction), etcd → files, an invalid source is refused;
 * `--cp --admin` runs the admin server on etcd without opening any proxy listener.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { EtcdConfigStore } from '../../src/config/etcd-store.ts'
import { etcdMissing, startEtcd, type EtcdServer } from '../helpers/etcd.ts'
import { runPingap, startPingap } from '../helpers/start-pingap.ts'

const CONFIG =
  '[upstreams.app]\naddrs = ["127.0.0.1:8080"]\n' +
  '[locations.all]\nupstream = "app"\n' +
  '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n'

describe('--sync', { skip: etcdMissing }, () => {
  let etcd: EtcdServer
  let dir: string
  let url: string

  before(async () => {
    etcd = await startEtcd()
    dir = await mkdtemp(join(tmpdir(), 'pgt-sync-'))
    url = `etcd://127.0.0.1:${etcd.clientPort}/sync?cache_dir=${join(dir, 'cache')}`
  })

  after(async () => {
    await etcd?.close()
    await rm(dir, { recursive: true, force: true })
  })

  test('files → etcd writes every item and deletes the stale ones; etcd → files', async () => {
    const store = new EtcdConfigStore(url)
    await store.save('upstreams', 'stale', { addrs: ['127.0.0.1:1'] })
    await writeFile(join(dir, 'pingap.toml'), CONFIG)
    const res = await runPingap(['-c', join(dir, 'pingap.toml'), '--sync', url])
    assert.equal(res.code, 0, res.stderr)
    assert.match(res.stdout, /3 items written, 1 deleted/)
    const raw = (await store.load()).raw
    assert.deepEqual(Object.keys(raw['upstreams'] ?? {}), ['app'])
    assert.deepEqual(raw['servers'], { web: { addr: '127.0.0.1:0', locations: ['all'] } })

    const back = join(dir, 'back')
    const out = await runPingap(['-c', url, '--sync', `${back}?separation=true`])
    assert.equal(out.code, 0, out.stderr)
    assert.match(await readFile(join(back, 'upstreams', 'app.toml'), 'utf8'), /\[upstreams\.app\]/)
    const check = await runPingap(['-c', `${back}?separation=true`, '-t'])
    assert.equal(check.code, 0, check.stderr)
  })

  test('an invalid source is refused and the target is left alone', async () => {
    const before = (await new EtcdConfigStore(url).load()).raw
    await writeFile(
      join(dir, 'bad.toml'),
      `${CONFIG}[locations.all2]\nupstream = "app"\ncolour = 1\n`,
    )
    const res = await runPingap(['-c', join(dir, 'bad.toml'), '--sync', url])
    assert.equal(res.code, 1)
    assert.match(res.stderr, /colour/)
    assert.deepEqual((await new EtcdConfigStore(url).load()).raw, before)
  })

  test('--cp --admin: the admin server publishes to etcd; no proxy listener opens', async () => {
    const cp = await startPingap(
      {},
      {
        noConf: true,
        args: ['-c', url, '--cp', '--admin', 'admin:cp-Secret-1@127.0.0.1:0'],
        waitFor: ['pingap:admin'],
      },
    )
    try {
      await cp.waitForLog((l) => l['msg'] === 'pingap-ts started')
      assert.equal(cp.servers.has('web'), false, 'servers.web must not listen in --cp mode')
      const admin = cp.servers.get('pingap:admin')!
      const auth = `Basic ${Buffer.from('admin:cp-Secret-1').toString('base64')}`
      const config = await fetch(`${admin}/api/v1/config`, { headers: { authorization: auth } })
      const res = await fetch(`${admin}/api/v1/config/upstreams/extra`, {
        method: 'PUT',
        headers: {
          authorization: auth,
          'content-type': 'application/json',
          'if-match': config.headers.get('etag') ?? '',
        },
        body: JSON.stringify({ addrs: ['127.0.0.1:9'] }),
      })
      assert.equal(res.status, 201, await res.text())
      const raw = (await new EtcdConfigStore(url).load()).raw
      assert.deepEqual(Object.keys(raw['upstreams'] ?? {}).sort(), ['app', 'extra'])
    } finally {
      assert.equal(await cp.stop(), 0)
    }
    const bare = await runPingap(['-c', url, '--cp'])
    assert.equal(bare.code, 2)
    assert.match(bare.stderr, /--cp needs --admin/)
  })
})
