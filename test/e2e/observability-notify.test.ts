/**
 * Webhook notifications and the application log against the real binary: a receiver started
 * here gets `backend_status` when a backend dies and `reload_config_fail` for a bad edit; the
 * log goes to a rotated file (`--log <path>?rolling=daily`), each event logged once.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { makeCert, type TestCert } from '../helpers/certs.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { tables } from '../helpers/spec.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook.ts'

const DAY_MS = 86_400_000

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
  let hook: WebhookReceiver
  let expiring: TestCert
  const certificates = (cert: string): string =>
    tables('certificates', { soon: { tls_cert: cert, tls_key: expiring.key } })
  let logDir: string
  let logPath: string
  let web: string
  const basic = (url: string): string =>
    tables('basic', {
      basic: {
        name: 'edge-1',
        webhook: url,
        webhook_type: 'normal',
        webhook_notifications: [
          'backend_status',
          'reload_config_fail',
          'reload_config',
          'tls_validity',
          'parse_certificate_fail',
        ],
        log_level: 'info',
      },
    }).replace('[basic."basic"]', '[basic]')

  before(async () => {
    expiring = await makeCert({
      dns: ['soon.test'],
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 2 * DAY_MS + 3_600_000),
    })
    backend = await startUpstream(undefined, 'backend')
    spare = await startUpstream(undefined, 'spare')
    hook = await startWebhookReceiver()
    logDir = mkdtempSync(join(tmpdir(), 'pingap-log-'))
    logPath = join(logDir, 'pingap.log')
    const port = await closedPort()
    web = `http://127.0.0.1:${port}`
    pingap = await startPingap(
      {
        'basic.toml': basic(hook.url),
        'servers.toml': tables('servers', {
          web: { addr: `127.0.0.1:${port}`, locations: ['api'] },
        }),
        'locations.toml': tables('locations', { api: { path: '/', upstream: 'app' } }),
        'certificates.toml': certificates(expiring.cert),
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

  test('a certificate near its expiry sends tls_validity at start', async () => {
    const found = await eventually(() => {
      const n = hook.received.find((r) => r.category === 'tls_validity')
      assert.ok(n, `received: ${JSON.stringify(hook.received.map((r) => r.category))}`)
      return n
    }, 10_000)
    assert.equal(found.level, 'warn')
    assert.match(found.message, /^certificate soon expires in 2 days \(/)
  })

  test('a certificate that does not parse sends parse_certificate_fail; the previous config serves on', async () => {
    const from = hook.received.length
    pingap.writeConf(
      'certificates.toml',
      certificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
    )
    const sent = await eventually(() => {
      const fresh = hook.received.slice(from)
      const parse = fresh.find((r) => r.category === 'parse_certificate_fail')
      const reload = fresh.find((r) => r.category === 'reload_config_fail')
      assert.ok(parse && reload, `received: ${JSON.stringify(fresh.map((r) => r.category))}`)
      return { parse, reload }
    }, 10_000)
    assert.equal(sent.parse.level, 'error')
    assert.match(
      sent.parse.message,
      /certificates\.soon\.tls_cert: certificate #1 cannot be parsed/,
    )
    assert.match(sent.reload.message, /certificates\.soon\.tls_cert/)
    assert.equal((await request(web, '/z')).status, 200)
  })
})
