/** The binary's life: `-t`, exit codes, `--template`, quick start, layouts, graceful SIGTERM. */
import assert from 'node:assert/strict'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { request } from '../helpers/http.ts'
import { runPingap, startPingap } from '../helpers/start-pingap.ts'
import { startUpstream } from '../helpers/upstreams.ts'
import { eventually } from '../helpers/eventually.ts'

function tempConf(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-cli-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

const VALID = {
  'servers.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
  'locations.toml': '[locations.all]\nupstream = "app"\n',
  'upstreams.toml': '[upstreams.app]\naddrs = ["127.0.0.1:9"]\n',
}

describe('pingap-ts -t', () => {
  test('a valid config exits 0 with a summary', async () => {
    const dir = tempConf(VALID)
    const { code, stdout } = await runPingap(['-t', '-c', dir])
    rmSync(dir, { recursive: true })
    assert.equal(code, 0)
    assert.match(stdout, /is valid: 1 servers, 1 locations, 1 upstreams/)
  })

  test('two servers on one address exit 1 naming the conflict', async () => {
    const dir = tempConf({
      ...VALID,
      'servers.toml':
        '[servers.a]\naddr = "127.0.0.1:7001"\nlocations = ["all"]\n\n[servers.b]\naddr = "127.0.0.1:7001"\nlocations = ["all"]\n',
    })
    const { code, stderr } = await runPingap(['-t', '-c', dir])
    rmSync(dir, { recursive: true })
    assert.equal(code, 1)
    assert.match(stderr, /is inused by other server/)
  })

  test('every problem is printed with file, table and key, and the exit code is 1', async () => {
    const dir = tempConf({
      ...VALID,
      'locations.toml':
        '[locations.all]\nupstream = "app"\npath = "~^/(a+)+\\\\1$"\n\n[locations.other]\nupstrem = "app"\n',
    })
    const { code, stderr } = await runPingap(['-t', '-c', dir])
    rmSync(dir, { recursive: true })
    assert.equal(code, 1)
    assert.match(stderr, /locations\.toml: locations\.other\.upstrem: .*did you mean/)
  })

  test('a bad access_log is caught by -t, naming the server key', async () => {
    const dir = tempConf({
      ...VALID,
      'servers.toml':
        '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\naccess_log = "/tmp/a.log?rolling=weekly combined"\n',
    })
    const { code, stderr } = await runPingap(['-t', '-c', dir])
    rmSync(dir, { recursive: true })
    assert.equal(code, 1)
    assert.match(stderr, /servers\.toml: servers\.web\.access_log/)
  })

  test('a catastrophic regex is caught by -t', async () => {
    const dir = tempConf({
      ...VALID,
      'locations.toml': '[locations.all]\nupstream = "app"\npath = "~^/(a|a)*\\\\1$"\n',
    })
    const { code, stderr } = await runPingap(['-t', '-c', dir])
    rmSync(dir, { recursive: true })
    assert.equal(code, 1)
    assert.match(stderr, /locations\.all\.path/)
  })
})

describe('command line', () => {
  test('usage errors exit 2, --help and -V exit 0', async () => {
    assert.equal((await runPingap(['--no-such-flag'])).code, 2)
    assert.equal((await runPingap([])).code, 2)
    const help = await runPingap(['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /--conf/)
    const version = await runPingap(['-V'])
    assert.equal(version.code, 0)
    assert.match(version.stdout, /^\d+\.\d+\.\d+/)
  })

  test('--template prints a config that passes -t', async () => {
    const { code, stdout } = await runPingap(['--template'])
    assert.equal(code, 0)
    const dir = tempConf({ 'pingap.toml': stdout })
    const checked = await runPingap(['-t', '-c', join(dir, 'pingap.toml')])
    rmSync(dir, { recursive: true })
    assert.equal(checked.code, 0, checked.stderr)
  })

  test('PINGAP_CONF is the fallback for -c', async () => {
    const dir = tempConf(VALID)
    const { code } = await runPingap(['-t'], { PINGAP_CONF: dir })
    rmSync(dir, { recursive: true })
    assert.equal(code, 0)
  })

  test('quick start proxies to --upstream on --addr', async () => {
    const up = await startUpstream(undefined, 'quick')
    const pingap = await startPingap(
      {},
      { noConf: true, args: ['--upstream', up.addr, '--addr', '127.0.0.1:0'], waitFor: ['pingap'] },
    )
    try {
      const res = await request(pingap.servers.get('pingap')!, '/q?x=1')
      assert.equal(res.status, 200)
      assert.equal(res.body, 'quick GET /q?x=1')
    } finally {
      await pingap.stop()
      await up.close()
    }
  })

  test('--upstream with --conf is a usage error', async () => {
    assert.equal((await runPingap(['--upstream', '127.0.0.1:9', '-c', '/tmp'])).code, 2)
  })
})

describe('config layouts', () => {
  const upstreamFor = async (layout: Record<string, string>, confPath?: string) => {
    const up = await startUpstream(undefined, 'layout')
    const files = Object.fromEntries(
      Object.entries(layout).map(([k, v]) => [k, v.replace('UPSTREAM', up.addr)]),
    )
    const pingap = await startPingap(files, {
      waitFor: ['web'],
      ...(confPath !== undefined ? { confPath } : {}),
    })
    try {
      const res = await request(pingap.servers.get('web')!, '/x')
      assert.equal(res.status, 200)
      assert.equal(res.body, 'layout GET /x')
    } finally {
      await pingap.stop()
      await up.close()
    }
  }

  test('one file', () =>
    upstreamFor(
      {
        'pingap.toml':
          '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n\n[locations.all]\nupstream = "app"\n\n[upstreams.app]\naddrs = ["UPSTREAM"]\n',
      },
      'pingap.toml',
    ))

  test('a directory with one file per category', () =>
    upstreamFor({
      'servers.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
      'locations.toml': '[locations.all]\nupstream = "app"\n',
      'upstreams.toml': '[upstreams.app]\naddrs = ["UPSTREAM"]\n',
    }))

  test('a directory with one file per item (?separation=true)', () =>
    upstreamFor(
      {
        'servers/web.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
        'locations/all.toml': '[locations.all]\nupstream = "app"\n',
        'upstreams/app.toml': '[upstreams.app]\naddrs = ["UPSTREAM"]\n',
      },
      '?separation=true',
    ))
})

describe('graceful shutdown', () => {
  test('SIGTERM lets a slow in-flight request finish, then exits 0', async () => {
    let release: (() => void) | undefined
    const arrived = new Promise<void>((resolveArrived) => {
      void startUpstream((_req, res) => {
        resolveArrived()
        release = () => res.end('slow but complete')
      }, 'slow').then((up) => (slowUpstream = up))
    })
    let slowUpstream: Awaited<ReturnType<typeof startUpstream>> | undefined
    await eventually(() => assert.ok(slowUpstream !== undefined))
    const pingap = await startPingap(
      {
        'servers.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
        // Only /slow reaches the held upstream; probes elsewhere get a quick 404.
        'locations.toml': '[locations.all]\npath = "/slow"\nupstream = "app"\n',
        'upstreams.toml': `[upstreams.app]\naddrs = ["${slowUpstream!.addr}"]\n`,
      },
      { waitFor: ['web'] },
    )
    const web = pingap.servers.get('web')!
    const pending = request(web, '/slow')
    await arrived
    pingap.child.kill('SIGTERM')
    // New connections are refused once the listener is closed.
    await eventually(async () => {
      await assert.rejects(request(web, '/new'))
    })
    release!()
    const res = await pending
    assert.equal(res.status, 200)
    assert.equal(res.body, 'slow but complete')
    assert.equal(await pingap.exited, 0)
    await pingap.stop()
    await slowUpstream!.close()
  })
})

describe('listeners', () => {
  test('two servers on port 0 each get a socket of their own', async () => {
    const up = await startUpstream(undefined, 'both')
    const pingap = await startPingap(
      {
        'servers.toml':
          '[servers.a]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n\n[servers.b]\naddr = "127.0.0.1:0"\nlocations = ["all"]\n',
        'locations.toml': '[locations.all]\nupstream = "app"\n',
        'upstreams.toml': `[upstreams.app]\naddrs = ["${up.addr}"]\n`,
      },
      { waitFor: ['a', 'b'] },
    )
    try {
      assert.notEqual(pingap.servers.get('a'), pingap.servers.get('b'))
      assert.equal((await request(pingap.servers.get('a')!, '/x')).status, 200)
      assert.equal((await request(pingap.servers.get('b')!, '/x')).status, 200)
    } finally {
      await pingap.stop()
      await up.close()
    }
  })
})
