/**
 * Webhook notifications and the application log against the real binary: a receiver started
 * here gets `backend_status` when a backend dies and `reload_config_fail` for a bad edit; the
 * log goes to a rotated file (`--log <path>?rolling=daily`), each event logged once.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { tables } from '../helpers/spec.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

interface Received {
  readonly name: string
  readonly level: string
  readonly hostname: string
  readonly category: string
  readonly message: string
}

async function webhookReceiver() {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      received.push(JSON.parse(body) as Received)
      res.end('ok')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return { received, port, close: () => new Promise<void>((r) => server.close(() => r())) }
}

function logLines(path: string): Array<Record<string, unknown>> {
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

describe('webhook notifications and the application log', () => {
  let pingap: Pingap
  let backend: TestUpstream
  let spare: TestUpstream
  let hook: Awaited<ReturnType<typeof webhookReceiver>>
  let logDir: string
  let logPath: string
  let web: string
  const basic = (port: number): string =>
    tables('basic', {
      basic: {
        name: 'edge-1',
        webhook: `http://127.0.0.1:${port}/hook`,
        webhook_type: 'normal',
        webhook_notifications: ['backend_status', 'reload_config_fail', 'reload_config'],
        log_level: 'info',
      },
    }).replace('[basic."basic"]', '[basic]')

  before(async () => {
    backend = await startUpstream(undefined, 'backend')
    spare = await startUpstream(undefined, 'spare')
    hook = await webhookReceiver()
    logDir = mkdtempSync(join(tmpdir(), 'pingap-log-'))
    logPath = join(logDir, 'pingap.log')
    const port = await closedPort()
    web = `http://127.0.0.1:${port}`
    pingap = await startPingap(
      {
        'basic.toml': basic(hook.port),
        'servers.toml': tables('servers', {
          web: { addr: `127.0.0.1:${port}`, locations: ['api'] },
        }),
        'locations.toml': tables('locations', { api: { path: '/', upstream: 'app' } }),
        'upstreams.toml': tables('upstreams', {
          app: {
            addrs: [backend.addr, spare.addr],
            health_check: 'tcp://app?check_frequency=200ms&failure=1',
          },
        }),
      },
      { args: ['--autoreload', '--log', `${logPath}?rolling=daily`] },
    )
    // The log goes to the file, not stderr: wait for the listener there.
    await eventually(() => {
      assert.ok(logLines(logPath).some((l) => l['msg'] === 'listening'))
    }, 15_000)
  })

  after(async () => {
    await pingap.stop()
    await Promise.all([backend.close(), spare.close(), hook.close()])
    rmSync(logDir, { recursive: true, force: true })
  })

  test('serves, logging JSON lines to the file and nothing to stderr', async () => {
    assert.equal((await request(web, '/x')).status, 200)
    assert.ok(logLines(logPath).some((l) => l['msg'] === 'pingap-ts started'))
    assert.equal(pingap.logs.filter((l) => l['msg'] === 'listening').length, 0)
  })

  test('a backend that dies sends backend_status, logged once at warn', async () => {
    await backend.close()
    const event = await eventually(() => {
      const found = hook.received.find((r) => r.category === 'backend_status')
      assert.ok(found, `received: ${JSON.stringify(hook.received)}`)
      return found
    }, 10_000)
    assert.equal(event.name, 'edge-1')
    assert.equal(event.level, 'warn')
    assert.match(
      event.message,
      new RegExp(`backend ${backend.addr.replace(/\./g, '\\.')} is unhealthy`),
    )
    assert.ok(event.hostname !== '')
    const flips = logLines(logPath).filter((l) => l['msg'] === 'backend became unhealthy')
    assert.equal(flips.length, 1)
    assert.equal(flips[0]?.['level'], 'warn')
    // Traffic keeps flowing to the healthy backend.
    assert.match((await request(web, '/y')).body, /^spare GET/)
  })

  test('a bad edit sends reload_config_fail and keeps serving; a good one reload_config', async () => {
    pingap.writeConf(
      'locations.toml',
      tables('locations', { api: { path: '/', upstream: 'app', upstreem: 'typo' } }),
    )
    const fail = await eventually(() => {
      const found = hook.received.find((r) => r.category === 'reload_config_fail')
      assert.ok(found, `received: ${JSON.stringify(hook.received.map((r) => r.category))}`)
      return found
    }, 10_000)
    assert.equal(fail.level, 'error')
    assert.match(fail.message, /upstreem/)
    const rejected = logLines(logPath).filter(
      (l) => l['msg'] === 'config rejected, the previous version keeps serving',
    )
    assert.equal(rejected.length, 1)
    assert.equal(rejected[0]?.['level'], 'error')
    assert.equal((await request(web, '/z')).status, 200)

    pingap.writeConf(
      'locations.toml',
      tables('locations', {
        api: { path: '/', upstream: 'app', proxy_set_headers: ['x-edited: 1'] },
      }),
    )
    const applied = await eventually(() => {
      const found = hook.received.find((r) => r.category === 'reload_config')
      assert.ok(found)
      return found
    }, 10_000)
    assert.match(applied.message, /locations:api is modified/)
    // diff_config is not in webhook_notifications: never sent.
    assert.equal(hook.received.filter((r) => r.category === 'diff_config').length, 0)
    const applies = logLines(logPath).filter((l) => l['msg'] === 'config applied')
    assert.equal(applies.length, 1)
  })
})
