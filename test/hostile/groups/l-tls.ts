/**
 * Group L of the catalogue (and D6, F10): TLS on the suite's `tls` listener; L8 runs its own
 * proxy against Debian's Pebble.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls'
import { describe, test } from 'node:test'
import { eventually } from '../../helpers/eventually.ts'
import { makeCert } from '../../helpers/certs.ts'
import { pebbleMissing, startPebble } from '../../helpers/pebble.ts'
import { closedPort } from '../../helpers/upstreams.ts'
import { startWebhookReceiver } from '../../helpers/webhook.ts'
import { tables } from '../../helpers/spec.ts'
import { canary, LIMITS, NEVER_DOWN, type HostileEnv } from '../helpers/env.ts'
import { PINGAP_BIN, spawnProxy, type ProxyProcess } from '../helpers/proxy.ts'
import { openSocket, raw, rawOn } from '../helpers/raw.ts'
import { skipRow, tally } from '../helpers/tally.ts'

/** Runs the proxy's CLI to completion (async, so the suite's proxy keeps being read). */
function runCli(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stderr })
    })
  })
}

interface Handshake {
  readonly ok: boolean
  readonly subject?: string | undefined
  readonly serial?: string | undefined
  readonly error?: string | undefined
}

/** One TLS handshake with `options`; resolves with the peer certificate's CN or the error. */
function handshake(port: number, options: ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port,
      rejectUnauthorized: false,
      ...options,
    })
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ ok: false, error: 'timeout' })
    }, 5_000)
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      const peer = socket.getPeerCertificate()
      const cn = peer.subject?.CN
      socket.end()
      resolve({ ok: true, subject: Array.isArray(cn) ? cn[0] : cn, serial: peer.serialNumber })
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      resolve({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message })
    })
  })
}

/** GET over TLS with `servername` and `host`; resolves with the status. */
function tlsGet(port: number, servername: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false })
    let text = ''
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text)
      if (m !== null && text.includes('\r\n\r\n')) {
        socket.destroy()
        resolve(Number(m[1]))
      }
    })
    socket.once('error', reject)
    socket.once('secureConnect', () =>
      socket.write(`GET /l HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    )
  })
}

/**
 * Edits the ACME item as a sysadmin would once the certificate is issued: pingap-ts moved it to
 * its own file (`certificates/site.toml`, with `tls_cert` and `tls_key`); only `domains` and
 * `remark` change.
 */
function editCertificate(proxy: ProxyProcess, domains: string, remark: string): void {
  const file = join('certificates', 'site.toml')
  const text = readFileSync(join(proxy.dir, file), 'utf8')
  const edited = text
    .replace(/^domains = .*$/m, `domains = ${JSON.stringify(domains)}`)
    .replace(/^remark = .*$/m, `remark = ${JSON.stringify(remark)}`)
  assert.notEqual(edited, text, `no domains/remark line in ${file}`)
  proxy.writeConf(file, edited)
}

export function groupL(env: () => HostileEnv): void {
  describe('L. TLS (and D6)', () => {
    test('L1 unknown SNI: the default certificate, no crash', async () => {
      const e = env()
      const res = await handshake(e.tlsPort, { servername: 'unknown.test' })
      assert.ok(res.ok || res.error !== undefined)
      if (res.ok) assert.equal(res.subject, 'a')
      assert.equal(await tlsGet(e.tlsPort, 'b.test', 'b.test'), 200)
      await canary(e)
      tally('L1')
    })

    test('L2 no SNI: the default certificate', async () => {
      const e = env()
      const res = await handshake(e.tlsPort, {})
      assert.ok(res.ok, res.error)
      assert.equal(res.subject, 'a')
      await canary(e)
      tally('L2')
    })

    test('L3 an expired certificate is reported at load and the proxy serves', async () => {
      const e = env()
      const expired = await makeCert({
        dns: ['old.test'],
        notBefore: new Date('2019-01-01T00:00:00Z'),
        notAfter: new Date('2020-01-02T00:00:00Z'),
      })
      const proxy = await spawnProxy(
        {
          'servers.toml': tables('servers', {
            tls: { addr: '127.0.0.1:0', global_certificates: true, locations: ['c'] },
          }),
          'locations.toml': tables('locations', { c: { upstream: 'canary' } }),
          'upstreams.toml': tables('upstreams', {
            canary: { addrs: [e.canaryUp.addr], health_check: NEVER_DOWN },
          }),
          'certificates.toml': tables('certificates', {
            old: { domains: 'old.test', tls_cert: expired.cert, tls_key: expired.key },
          }),
        },
        { waitFor: ['tls'] },
      )
      try {
        await eventually(() => {
          const warned = proxy.logs.some(
            (l) => l['certificate'] === 'old' && l['state'] === 'expired',
          )
          assert.ok(warned, `no expiry warning: ${JSON.stringify(proxy.logs.slice(-5))}`)
        })
        const res = await handshake(proxy.ports.get('tls') ?? 0, { servername: 'old.test' })
        assert.ok(res.ok || res.error !== undefined)
        assert.ok(proxy.alive(), 'the proxy exited on an expired certificate')
      } finally {
        await proxy.stop()
      }
      await canary(e)
      tally('L3')
    })

    test('L4 a certificate with the wrong key is rejected at load, naming the key', async () => {
      const e = env()
      const [a, b] = await Promise.all([
        makeCert({ dns: ['x.test'] }),
        makeCert({ dns: ['y.test'] }),
      ])
      const dir = mkdtempSync(join(tmpdir(), 'pingap-hostile-l4-'))
      try {
        writeFileSync(
          join(dir, 'certificates.toml'),
          tables('certificates', { bad: { domains: 'x.test', tls_cert: a.cert, tls_key: b.key } }),
        )
        writeFileSync(
          join(dir, 'servers.toml'),
          tables('servers', { tls: { addr: '127.0.0.1:0', global_certificates: true } }),
        )
        for (const args of [['-t'], []]) {
          const run = await runCli([PINGAP_BIN, '-c', dir, ...args])
          assert.notEqual(run.status, 0, `${args.join(' ') || 'start'} accepted a key mismatch`)
          assert.match(run.stderr, /certificates\.bad\.tls_key/, run.stderr.slice(0, 500))
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
      await canary(e)
      tally('L4', 2)
    })

    test('D6/L5 a stalled handshake is cut at the header timeout', async () => {
      const e = env()
      const socket = await openSocket(e.tlsPort)
      const res = await rawOn(socket, '', { timeoutMs: LIMITS.headerTimeoutMs + 5_000 })
      socket.destroy()
      assert.ok(res.closed, 'a silent TLS client was kept')
      assert.ok(res.elapsedMs >= LIMITS.headerTimeoutMs * 0.9, `cut after ${res.elapsedMs} ms`)
      await canary(e)
      tally('D6')
      tally('L5')
    })

    test('L6 the wrong protocol on a port: 400 or close, no crash', async () => {
      const e = env()
      const plain = await handshake(e.port, { servername: 'a' })
      assert.equal(plain.ok, false)
      const http = await raw(e.tlsPort, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { timeoutMs: 3_000 })
      assert.ok(http.closed)
      assert.ok(http.statuses.every((s) => s === 400))
      await canary(e)
      tally('L6', 2)
    })

    test('L7 TLS 1.1 is refused', async () => {
      const e = env()
      const res = await handshake(e.tlsPort, {
        servername: 'a',
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      })
      assert.equal(res.ok, false)
      await canary(e)
      tally('L7')
    })

    // Catalogue L8: a CA refusing half of its nonces still issues (badNonce is retried within
    // the order); a CA that is gone fails the renewal, which is surfaced (log and lets_encrypt
    // webhook), backed off, and leaves the old certificate serving.
    const pebbleAbsent = pebbleMissing()
    test(
      'L8 ACME failures: nonce refusals are retried; a CA down keeps the old certificate',
      { skip: pebbleAbsent !== undefined ? skipRow('L8', pebbleAbsent) : false, timeout: 240_000 },
      async () => {
        const e = env()
        const challengePort = await closedPort()
        const pebble = await startPebble(challengePort, { nonceRejectPercent: 50 })
        const hook = await startWebhookReceiver()
        const certificates = (domains: string, remark: string): string =>
          tables('certificates', { site: { acme: pebble.directory, domains, remark } })
        let proxy: ProxyProcess | undefined
        try {
          proxy = await spawnProxy(
            {
              'basic.toml':
                `[basic]\nacme_challenge_addr = "127.0.0.1:${challengePort}"\n` +
                `webhook = "${hook.url}"\nwebhook_notifications = ["lets_encrypt"]\n`,
              'servers.toml': tables('servers', {
                tls: { addr: '127.0.0.1:0', global_certificates: true, locations: ['c'] },
              }),
              'locations.toml': tables('locations', { c: { upstream: 'canary' } }),
              'upstreams.toml': tables('upstreams', {
                canary: { addrs: [e.canaryUp.addr], health_check: NEVER_DOWN },
              }),
              'certificates.toml': certificates('l8.pingap.test', 'v1'),
            },
            {
              args: ['--autoreload'],
              env: { NODE_EXTRA_CA_CERTS: pebble.caFile },
              waitFor: ['tls'],
            },
          )
          const p = proxy
          const tlsPort = p.ports.get('tls') ?? 0
          // Issued despite the refusals. One order in several hundred still fails; its retry
          // comes a minute later, which the wait allows.
          const issued = await eventually(
            () => {
              const ok = hook.received.find(
                (n) => n.category === 'lets_encrypt' && n.level === 'info',
              )
              assert.ok(ok, JSON.stringify(hook.received))
              return ok
            },
            150_000,
            200,
          )
          assert.match(issued.message, /new certificate for l8\.pingap\.test installed/)
          const first = await eventually(async () => {
            const res = await handshake(tlsPort, { servername: 'l8.pingap.test' })
            assert.equal(res.subject, 'l8.pingap.test', JSON.stringify(res))
            return res
          })

          // The CA goes away; a new domain asks for a new order, which fails.
          const failedLine = (l: Record<string, unknown>): boolean =>
            l['msg'] === 'ACME order failed; the current certificate stays in use'
          const failuresBefore = p.logs.filter(failedLine).length
          await pebble.stop()
          const sentBefore = hook.received.length
          editCertificate(p, 'l8.pingap.test,l8b.pingap.test', 'v2')
          const failed = await eventually(() => {
            const n = hook.received.slice(sentBefore).find((r) => r.level === 'error')
            assert.ok(n, JSON.stringify(p.logs.slice(-8)))
            return n
          }, 30_000)
          assert.equal(failed.category, 'lets_encrypt')
          assert.match(
            failed.message,
            /ACME order failed once .*the current certificate stays in use; next try in 1 min$/,
          )
          const logged = p.logs.filter(failedLine).slice(failuresBefore)
          assert.equal(logged.length, 1)
          // A success clears the count: this is the first failure since, backed off a minute.
          assert.equal(logged[0]?.['retryInMs'], 60_000)
          const after = await handshake(tlsPort, { servername: 'l8.pingap.test' })
          assert.equal(after.serial, first.serial, 'the old certificate was dropped')

          // Another change within the back-off does not order again.
          const applied = p.logs.filter((l) => l['msg'] === 'config applied').length
          editCertificate(p, 'l8.pingap.test,l8b.pingap.test', 'v3')
          await eventually(() =>
            assert.ok(p.logs.filter((l) => l['msg'] === 'config applied').length > applied),
          )
          assert.equal(
            (await handshake(tlsPort, { servername: 'l8.pingap.test' })).serial,
            first.serial,
          )
          const orders = p.logs.filter((l) => l['msg'] === 'ordering an ACME certificate')
          assert.equal(orders.at(-1)?.['reason'], 'the domain list changed')
          assert.equal(
            p.logs.filter(failedLine).length,
            failuresBefore + 1,
            'ordered again within the back-off',
          )
          assert.ok(p.alive())
        } finally {
          await proxy?.stop()
          await hook.close()
          await pebble.stop()
        }
        await canary(e)
        tally('L8', 3)
      },
    )

    test(
      'F10 SNI and Host disagree',
      { skip: skipRow('F10', 'no per-certificate client policy (mTLS) to confuse yet') },
      () => {},
    )
  })
}
