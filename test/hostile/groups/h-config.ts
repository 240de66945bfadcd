/**
 * Group H of the catalogue: config, regex and reload abuse. `-t` runs and the reload proxy are
 * separate processes; the ReDoS row runs against the main proxy. Admin API rows wait for it.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { tables } from '../../helpers/spec.ts'
import { canary, NEVER_DOWN, type HostileEnv } from '../helpers/env.ts'
import { fdCount, PINGAP_BIN, spawnProxy, type ProxyProcess } from '../helpers/proxy.ts'
import { raw } from '../helpers/raw.ts'
import { skipRow, tally } from '../helpers/tally.ts'

/** Runs `pingap-ts -t -c <file>` on `text`; resolves with the exit code and stderr. */
function check(text: string): Promise<{ code: number | null; signal: string | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-hostile-t-'))
  const file = join(dir, 'pingap.toml')
  writeFileSync(file, text)
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [PINGAP_BIN, '-t', '-c', file], {
      env: { ...process.env, PINGAP_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true })
      resolve({ code, signal, out })
    })
  })
}

const SERVER = '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["x"]\n'
const UPSTREAM = '[upstreams.u]\naddrs = ["127.0.0.1:9"]\n'

function reloadConf(recAddr: string, generation: number): Record<string, string> {
  return {
    'servers.toml': tables('servers', { web: { addr: '127.0.0.1:0', locations: ['x'] } }),
    'locations.toml': tables('locations', {
      x: { upstream: 'u', proxy_set_headers: [`x-gen: ${generation}`] },
    }),
    'upstreams.toml': tables('upstreams', { u: { addrs: [recAddr], health_check: NEVER_DOWN } }),
  }
}

export function groupH(env: () => HostileEnv): void {
  describe('H. config, regex and reload', () => {
    test('H1 a backtracking regex never stalls the event loop', async () => {
      const e = env()
      const res = await raw(
        e.port,
        `GET /${'a'.repeat(30)}! HTTP/1.1\r\nHost: redos.test\r\n\r\n`,
        {
          responses: 1,
        },
      )
      assert.equal(res.statuses[0], 404)
      assert.ok(res.elapsedMs < 1_000, `${res.elapsedMs} ms for one match`)
      const hit = await raw(e.port, `GET /${'a'.repeat(30)} HTTP/1.1\r\nHost: redos.test\r\n\r\n`, {
        responses: 1,
      })
      assert.equal(hit.statuses[0], 200)
      await canary(e)
      tally('H1', 2)
    })

    test('H2 invalid TOML: exit 1 with line and column', async () => {
      const cases = ['[upstreams.a\naddrs = []\n', 'a = 1\na = 2\n', 'name = "unclosed\n']
      for (const r of await Promise.all(cases.map(check))) {
        assert.equal(r.code, 1, r.out)
        assert.match(r.out, /line \d+, column \d+/, r.out)
      }
      tally('H2', cases.length)
    })

    test('H3 unknown keys name the key path and the nearest valid key', async () => {
      const r = await check(`${SERVER}[locations.x]\nupstrem = "u"\n${UPSTREAM}`)
      assert.equal(r.code, 1)
      assert.match(r.out, /locations\.x\.upstrem/)
      assert.match(r.out, /did you mean .upstream.\?/)
      tally('H3')
    })

    test('H4 semantic errors reject the whole config', async () => {
      const cases = [
        `${SERVER}[locations.x]\nupstream = "missing"\n${UPSTREAM}`,
        `[servers.web]\naddr = "127.0.0.1:70000"\n`,
        `[basic]\ntrusted_proxies = ["10.0.0.0/99"]\n`,
        `${SERVER}[locations.x]\npath = "~(unclosed"\nupstream = "u"\n${UPSTREAM}`,
        `${SERVER}[locations.x]\nupstream = "u"\nclient_max_body_size = "lots"\n${UPSTREAM}`,
      ]
      const results = await Promise.all(cases.map(check))
      results.forEach((r, i) => assert.equal(r.code, 1, `accepted: ${cases[i]}\n${r.out}`))
      tally('H4', cases.length)
    })

    describe('reloads (a second proxy with --autoreload)', () => {
      let proxy: ProxyProcess
      let port = 0
      const gen = async (): Promise<string | undefined> => {
        const e = env()
        const mark = e.rec.mark()
        const res = await raw(port, 'GET /gen HTTP/1.1\r\nHost: h.test\r\n\r\n', { responses: 1 })
        assert.equal(res.statuses[0], 200, res.text.slice(0, 200))
        const [sent] = e.rec.since(mark).requests
        return sent === undefined ? undefined : e.rec.header(sent, 'x-gen')
      }
      before(async () => {
        proxy = await spawnProxy(reloadConf(env().rec.addr, 0), {
          args: ['--autoreload'],
          waitFor: ['web'],
        })
        port = proxy.ports.get('web') ?? 0
      })
      after(async () => {
        await proxy?.stop()
      })

      test('H2/H5 a broken reload under load: old config keeps serving, no request fails', async () => {
        let failures = 0
        let sent = 0
        let stop = false
        const load = (async () => {
          while (!stop) {
            const res = await raw(port, 'GET /load HTTP/1.1\r\nHost: h.test\r\n\r\n', {
              responses: 1,
            })
            sent++
            if (res.statuses[0] !== 200) failures++
          }
        })()
        const rejected = proxy.logs.length
        proxy.writeConf('locations.toml', '[locations.x\nupstream = "u"\n')
        await eventually(() =>
          assert.ok(
            proxy.logs.slice(rejected).some((l) => String(l['msg']).includes('config rejected')),
          ),
        )
        assert.equal(await gen(), '0')
        proxy.writeConf('locations.toml', reloadConf(env().rec.addr, 1)['locations.toml'] ?? '')
        await eventually(async () => assert.equal(await gen(), '1'))
        stop = true
        await load
        assert.equal(failures, 0, `${failures} of ${sent} requests failed during the reloads`)
        tally('H5', sent)
      })

      test('H6 a half-written file is never applied', async () => {
        const full = reloadConf(env().rec.addr, 2)['locations.toml'] ?? ''
        proxy.writeConf('locations.toml', full.slice(0, Math.floor(full.length / 2)))
        assert.ok((await gen()) !== undefined)
        proxy.writeConf('locations.toml', full)
        await eventually(async () => assert.equal(await gen(), '2'))
        tally('H6')
      })

      test('H7 a reload storm: 100 edits in a second cause a bounded number of rebuilds', async () => {
        const fds = fdCount(proxy.pid)
        const from = proxy.logs.length
        const started = performance.now()
        for (let i = 1; i <= 100; i++) {
          proxy.writeConf(
            'locations.toml',
            reloadConf(env().rec.addr, 100 + i)['locations.toml'] ?? '',
          )
          if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve))
        }
        assert.ok(performance.now() - started < 1_500, 'the edits took too long to write')
        await eventually(async () => assert.equal(await gen(), '200'), 10_000)
        const applied = proxy.logs.slice(from).filter((l) => l['msg'] === 'config applied').length
        assert.ok(applied >= 1 && applied <= 20, `${applied} rebuilds for 100 edits`)
        await eventually(() => assert.ok(fdCount(proxy.pid) <= fds + 10))
        tally('H7', 100)
      })
    })

    test(
      'H8 config store down',
      { skip: skipRow('H8', 'etcd down is covered by test/e2e/etcd-cluster.test.ts (real etcd)') },
      () => {},
    )

    test('H11 traversal in item names is refused', async () => {
      const names = ['../../etc/passwd', '..\\\\x', 'a/b', 'x\\u0000y']
      const results = await Promise.all(
        names.map((name) =>
          check(
            `[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["${name}"]\n` +
              `[locations."${name}"]\nupstream = "u"\n${UPSTREAM}`,
          ),
        ),
      )
      results.forEach((r, i) => {
        assert.equal(r.code, 1, `accepted "${names[i]}"`)
        assert.match(r.out, /invalid config name/)
      })
      tally('H11', names.length)
    })

    test('H12 huge config files are handled without a crash (admin bodies wait for the API)', async () => {
      const many = Array.from(
        { length: 20_000 },
        (_, i) => `[locations.l${i}]\nhost = "h${i}.test"\npath = "/p${i}"\nupstream = "u"\n`,
      ).join('')
      const list = Array.from({ length: 20_000 }, (_, i) => `"l${i}"`).join(',')
      const big = await check(
        `[servers.web]\naddr = "127.0.0.1:0"\nlocations = [${list}]\n${many}${UPSTREAM}`,
      )
      assert.equal(big.code, 0, big.out.slice(0, 300))
      const huge = await check(`[basic]\nname = "${'a'.repeat(30_000_000)}"\n`)
      assert.equal(huge.signal, null, 'the check was killed')
      assert.ok(huge.code === 0 || huge.code === 1)
      tally('H12', 2)
    })
  })
}
