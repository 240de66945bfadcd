/**
 * `npm run build:binary`'s script builds the single executable (Node SEA); the executable,
 * copied alone into a temp directory without node_modules, proxies a request and serves the
 * admin UI and API. Building takes about half a minute, so this is one test.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { ROOT } from '../helpers/start-pingap.ts'
import { startUpstream } from '../helpers/upstreams.ts'

const run = promisify(execFile)

test('the single executable serves traffic and the admin UI without node_modules', async (t) => {
  const buildDir = mkdtempSync(join(tmpdir(), 'pingap-sea-build-'))
  const runDir = mkdtempSync(join(tmpdir(), 'pingap-sea-run-'))
  t.after(() => {
    rmSync(buildDir, { recursive: true, force: true })
    rmSync(runDir, { recursive: true, force: true })
  })
  await run(process.execPath, [join(ROOT, 'scripts', 'build-binary.mjs'), '--out', buildDir], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  })
  const binary = join(runDir, 'pingap-ts')
  copyFileSync(join(buildDir, 'pingap-ts'), binary)
  mkdirSync(join(runDir, 'conf'))
  const upstream = await startUpstream(undefined, 'sea')
  t.after(() => upstream.close())
  writeFileSync(
    join(runDir, 'conf', 'pingap.toml'),
    `[upstreams.u]\naddrs = ["${upstream.addr}"]\n\n[locations.l]\nupstream = "u"\n\n` +
      `[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["l"]\n`,
  )

  const version = await run(binary, ['--version'], { cwd: runDir })
  assert.match(version.stdout, /^\d+\.\d+\.\d+/)
  const child = spawn(binary, ['-c', 'conf', '--admin', 'admin:pw@127.0.0.1:0'], {
    cwd: runDir,
    env: { PATH: process.env['PATH'] ?? '', PINGAP_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.after(async () => {
    child.kill('SIGTERM')
    await exited
  })
  const addresses = new Map<string, string>()
  let buffer = ''
  child.stderr.on('data', (chunk: Buffer) => {
    buffer += chunk.toString()
    for (const line of buffer.split('\n').slice(0, -1)) {
      const m = /"msg":"listening".*"server":"([^"]+)".*"addr":"([^"]+)"/.exec(line)
      if (m !== null) addresses.set(m[1] as string, `http://${m[2] as string}`)
    }
    buffer = buffer.slice(buffer.lastIndexOf('\n') + 1)
  })
  const [web, admin] = await eventually(() => {
    assert.equal(child.exitCode, null, 'the executable exited')
    const pair = [addresses.get('web'), addresses.get('pingap:admin')]
    assert.ok(pair[0] !== undefined && pair[1] !== undefined)
    return pair as [string, string]
  }, 20_000)

  assert.equal((await request(web, '/hello')).body, 'sea GET /hello')
  const index = await request(admin, '/')
  assert.equal(index.status, 200)
  assert.match(index.body, /<script type="module" src="app\.js">/)
  const script = await request(admin, '/app.js')
  assert.equal(script.status, 200)
  assert.match(script.headers['content-type'] as string, /javascript/)
  assert.ok(script.body.length > 1000)
  const auth = `Basic ${Buffer.from('admin:pw').toString('base64')}`
  const status = await request(admin, '/api/v1/config/status', { headers: { authorization: auth } })
  assert.equal(status.status, 200)
  assert.equal((JSON.parse(status.body) as { current: { number: number } }).current.number, 1)
})
