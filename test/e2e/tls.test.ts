/**
 * TLS end to end against the real binary: SNI selection (exact, wildcard, default, unknown, no
 * SNI), minted leaves of an `is_ca` certificate, the three certificate forms (PEM, base64, file),
 * TLS version limits, session resumption, `X-Forwarded-Proto: https`, a certificate swapped by
 * reload while a WebSocket stays open, the expiry warning and a mismatched key refused by `-t`.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type ConnectionOptions, type SecureVersion } from 'node:tls'
import { after, before, describe, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { makeCa, makeCert, type TestCert } from '../helpers/certs.ts'
import { eventually } from '../helpers/eventually.ts'
import { runPingap, startPingap, type Pingap } from '../helpers/start-pingap.ts'

interface Handshake {
  readonly cn: string
  readonly serial: string
  readonly protocol: string | null
  readonly reused: boolean
}

/** Opens a TLS connection and reports the peer certificate (rejects when the handshake fails). */
function handshake(addr: string, options: ConnectionOptions = {}): Promise<Handshake> {
  const { hostname, port } = new URL(addr)
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port), rejectUnauthorized: false, ...options },
      () => {
        // A resumed session presents no certificate.
        const cert = socket.getPeerX509Certificate()
        resolve({
          cn: /CN=([^\n,]+)/.exec(cert?.subject ?? '')?.[1] ?? '',
          serial: cert?.serialNumber ?? '',
          protocol: socket.getProtocol(),
          reused: socket.isSessionReused(),
        })
        socket.end()
      },
    )
    socket.once('error', reject)
  })
}

function pemBlock(text: string): string {
  return `'''\n${text.trim()}\n'''`
}

interface Seen {
  readonly headers: IncomingHttpHeaders
}

describe('TLS listeners', () => {
  let ca: TestCert
  let exact: TestCert
  let exact2: TestCert
  let wild: TestCert
  let fallback: TestCert
  let expired: TestCert
  let pemDir: string
  let pingap: Pingap
  const seen: Seen[] = []
  const upstream = createServer((req, res) => {
    seen.push({ headers: req.headers })
    req.resume()
    req.on('end', () => res.end(`upstream ${req.url}`))
  })
  const wss = new WebSocketServer({ server: upstream })
  wss.on('connection', (ws) =>
    ws.on('message', (data: Buffer) => ws.send(`echo ${data.toString()}`)),
  )

  const certificates = (a: TestCert, withDefault: boolean): string =>
    [
      `[certificates.exact]\ntls_cert = ${pemBlock(a.chain)}\ntls_key = ${pemBlock(a.key)}\n`,
      `[certificates.wild]\ntls_cert = "${Buffer.from(wild.chain).toString('base64')}"\n` +
        `tls_key = "${Buffer.from(wild.key).toString('base64')}"\n`,
      `[certificates.old]\ntls_cert = "${join(pemDir, 'old.crt')}"\n` +
        `tls_key = "${join(pemDir, 'old.key')}"\n`,
      `[certificates.ca]\ntls_cert = ${pemBlock(ca.cert)}\ntls_key = ${pemBlock(ca.key)}\n` +
        `is_ca = true\ndomains = "*.ca.test"\n`,
      withDefault
        ? `[certificates.fallback]\ntls_cert = ${pemBlock(fallback.chain)}\n` +
          `tls_key = ${pemBlock(fallback.key)}\nis_default = true\n`
        : '',
    ].join('\n')

  before(async () => {
    ca = await makeCa()
    exact = await makeCert({ dns: ['a.test'], issuer: ca })
    exact2 = await makeCert({ dns: ['a.test'], issuer: ca })
    wild = await makeCert({ dns: ['*.w.test'], issuer: ca })
    fallback = await makeCert({ dns: ['default.test'], issuer: ca })
    expired = await makeCert({
      dns: ['old.test'],
      notBefore: new Date(Date.UTC(2019, 0, 1)),
      notAfter: new Date(Date.UTC(2020, 0, 2)),
    })
    pemDir = mkdtempSync(join(tmpdir(), 'pingap-tls-'))
    writeFileSync(join(pemDir, 'old.crt'), expired.cert)
    writeFileSync(join(pemDir, 'old.key'), expired.key)
    upstream.listen(0, '127.0.0.1')
    await new Promise((resolve) => upstream.once('listening', resolve))
    const port = (upstream.address() as AddressInfo).port
    const server = (name: string, extra = ''): string =>
      `[servers.${name}]\naddr = "127.0.0.1:0"\nglobal_certificates = true\n` +
      `locations = ["root"]\n${extra}\n`
    pingap = await startPingap(
      {
        'upstreams.toml': `[upstreams.app]\naddrs = ["127.0.0.1:${port}"]\n`,
        'locations.toml':
          '[locations.root]\nupstream = "app"\nenable_reverse_proxy_headers = true\n',
        'servers.toml': [
          server('tls'),
          server('tls13', 'tls_min_version = "tlsv1.3"'),
          server('tls12', 'tls_max_version = "tls1.2"'),
        ].join('\n'),
        'certificates.toml': certificates(exact, false),
      },
      { args: ['--autoreload'], waitFor: ['tls', 'tls13', 'tls12'] },
    )
  })

  after(async () => {
    await pingap.stop()
    wss.close()
    upstream.closeAllConnections()
    upstream.close()
    rmSync(pemDir, { recursive: true, force: true })
  })

  const addr = (name: string): string => pingap.servers.get(name)!

  test('SNI: exact name, then *.parent; unknown and missing SNI fail without a default', async () => {
    assert.equal((await handshake(addr('tls'), { servername: 'a.test' })).cn, 'a.test')
    assert.equal((await handshake(addr('tls'), { servername: 'A.TEST' })).cn, 'a.test')
    assert.equal((await handshake(addr('tls'), { servername: 'x.w.test' })).cn, '*.w.test')
    assert.equal((await handshake(addr('tls'), { servername: 'old.test' })).cn, 'old.test')
    await assert.rejects(handshake(addr('tls'), { servername: 'unknown.test' }))
    await assert.rejects(handshake(addr('tls'), { servername: 'a.b.w.test' }))
    await assert.rejects(handshake(addr('tls')))
    // The refusal is logged, and the listener keeps serving.
    await pingap.waitForLog((l) => String(l['msg']).includes('no certificate matches'))
    assert.equal((await handshake(addr('tls'), { servername: 'a.test' })).cn, 'a.test')
  })

  test('an is_ca certificate mints a verified leaf per name', async () => {
    const got = await handshake(addr('tls'), {
      servername: 'api.ca.test',
      ca: ca.cert,
      rejectUnauthorized: true,
    })
    assert.equal(got.cn, 'api.ca.test')
  })

  test('the expired certificate is reported at load', async () => {
    await pingap.waitForLog(
      (l) => l['certificate'] === 'old' && l['state'] === 'expired' && l['level'] === 'warn',
    )
  })

  test('requests over TLS carry X-Forwarded-Proto: https', async () => {
    const { hostname, port } = new URL(addr('tls'))
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: hostname,
          port,
          path: '/hello',
          servername: 'a.test',
          headers: { host: 'a.test' },
          ca: ca.cert,
          checkServerIdentity: () => undefined,
        },
        (res) => {
          let text = ''
          res.on('data', (c: Buffer) => (text += c.toString()))
          res.on('end', () => resolve(text))
        },
      )
      req.on('error', reject)
      req.end()
    })
    assert.equal(body, 'upstream /hello')
    assert.equal(seen.at(-1)?.headers['x-forwarded-proto'], 'https')
  })

  test('tls_min_version and tls_max_version bound the protocol', async () => {
    const sni = { servername: 'a.test' }
    const v = (min: SecureVersion, max: SecureVersion) => ({
      ...sni,
      minVersion: min,
      maxVersion: max,
    })
    assert.equal((await handshake(addr('tls13'), v('TLSv1.3', 'TLSv1.3'))).protocol, 'TLSv1.3')
    await assert.rejects(handshake(addr('tls13'), v('TLSv1.2', 'TLSv1.2')))
    assert.equal((await handshake(addr('tls12'), v('TLSv1.2', 'TLSv1.3'))).protocol, 'TLSv1.2')
    await assert.rejects(handshake(addr('tls12'), v('TLSv1.3', 'TLSv1.3')))
    // The default floor is TLS 1.2.
    await assert.rejects(handshake(addr('tls'), v('TLSv1.1', 'TLSv1.1')))
  })

  test('a session is resumed with its ticket', async () => {
    const { hostname, port } = new URL(addr('tls'))
    const session = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect({
        host: hostname,
        port: Number(port),
        servername: 'a.test',
        rejectUnauthorized: false,
      })
      socket.once('session', (s: Buffer) => {
        resolve(s)
        socket.end()
      })
      socket.once('error', reject)
    })
    const again = await handshake(addr('tls'), { servername: 'a.test', session })
    assert.equal(again.reused, true, JSON.stringify(again))
  })

  test('a reload swaps certificates while an open WebSocket keeps working', async () => {
    const { port } = new URL(addr('tls'))
    // `servername` reaches tls.connect; ws's option types do not list it.
    const options = { servername: 'a.test', rejectUnauthorized: false, headers: { host: 'a.test' } }
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, options)
    const messages: string[] = []
    ws.on('message', (data: Buffer) => messages.push(data.toString()))
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    ws.send('one')
    await eventually(() => assert.deepEqual(messages, ['echo one']))
    const before = await handshake(addr('tls'), { servername: 'a.test' })

    pingap.writeConf('certificates.toml', certificates(exact2, true))
    await eventually(async () => {
      const now = await handshake(addr('tls'), { servername: 'a.test' })
      assert.notEqual(now.serial, before.serial)
    })
    // The new default answers unknown names and handshakes without SNI.
    assert.equal((await handshake(addr('tls'), { servername: 'unknown.test' })).cn, 'default.test')
    assert.equal((await handshake(addr('tls'))).cn, 'default.test')

    ws.send('two')
    await eventually(() => assert.deepEqual(messages, ['echo one', 'echo two']))
    assert.equal(ws.readyState, WebSocket.OPEN)
    ws.close()
  })

  test('-t rejects a key that does not match its certificate, naming the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pingap-tls-bad-'))
    try {
      writeFileSync(
        join(dir, 'pingap.toml'),
        `[certificates.bad]\ntls_cert = ${pemBlock(exact.cert)}\ntls_key = ${pemBlock(wild.key)}\n`,
      )
      const { code, stderr } = await runPingap(['-t', '-c', join(dir, 'pingap.toml')])
      assert.equal(code, 1)
      assert.match(stderr, /certificates\.bad\.tls_key/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
