/**
 * ACME end to end against Debian's Pebble on 127.0.0.1: pingap-ts orders a certificate by
 * HTTP-01 (answered by its implicit challenge listener) and by DNS-01 (manual provider: the test
 * plays the sysadmin and creates the TXT record in Pebble's fake DNS), stores both in the config
 * directory, serves HTTPS with them, and orders again when the domain list changes.
 * Skipped, with the reason printed, where the `pebble` package is missing.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { connect } from 'node:tls'
import { after, before, describe, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { pebbleMissing, startPebble, type Pebble } from '../helpers/pebble.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { closedPort, startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const missing = pebbleMissing()
if (missing !== undefined) console.log(`# skipping the ACME tests: ${missing}`)

interface Served {
  readonly issuer: string
  readonly san: string
  readonly serial: string
}

/** The certificate served for `servername`, verified against Pebble's roots. */
function served(addr: string, servername: string, ca: string): Promise<Served> {
  const { hostname, port } = new URL(addr)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), servername, ca }, () => {
      const cert = socket.getPeerX509Certificate()
      socket.end()
      if (cert === undefined) reject(new Error('no certificate'))
      else
        resolve({ issuer: cert.issuer, san: cert.subjectAltName ?? '', serial: cert.serialNumber })
    })
    socket.once('error', reject)
  })
}

/** Every file under `dir` whose text matches `pattern`, as paths relative to `dir`. */
function filesMatching(dir: string, pattern: RegExp): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (pattern.test(readFileSync(path, 'utf8'))) out.push(relative(dir, path))
    }
  }
  walk(dir)
  return out
}

describe('ACME with Pebble', { skip: missing }, () => {
  let pebble: Pebble
  let pingap: Pingap
  let upstream: TestUpstream
  let challengePort: number
  let roots: string

  before(async () => {
    challengePort = await closedPort()
    pebble = await startPebble(challengePort)
    roots = await pebble.roots()
    upstream = await startUpstream(undefined, 'app')
    pingap = await startPingap(
      {
        'basic.toml': `[basic]\nacme_challenge_addr = "127.0.0.1:${challengePort}"\n`,
        'servers.toml':
          '[servers.tls]\naddr = "127.0.0.1:0"\nglobal_certificates = true\nlocations = ["root"]\n',
        'upstreams.toml': `[upstreams.app]\naddrs = ["${upstream.addr}"]\n`,
        'locations.toml': '[locations.root]\nupstream = "app"\n',
        'certificates.toml':
          `[certificates.web]\nacme = "${pebble.directory}"\ndomains = "app.pingap.test"\n\n` +
          `[certificates.dns]\nacme = "${pebble.directory}"\ndomains = "dns.pingap.test"\n` +
          `dns_challenge = true\ndns_service_url = "dns://${pebble.dnsAddr}"\n`,
      },
      {
        args: ['--autoreload'],
        env: { NODE_EXTRA_CA_CERTS: pebble.caFile },
        waitFor: ['tls', 'pingap:acme'],
      },
    )
  })

  after(async () => {
    await pingap?.stop()
    await upstream?.close()
    await pebble?.stop()
  })

  const tls = (): string => pingap.servers.get('tls')!

  test('HTTP-01: the certificate is ordered, kept in the config store and served', async () => {
    const got = await eventually(() => served(tls(), 'app.pingap.test', roots), 60_000, 250)
    assert.match(got.issuer, /Pebble/)
    assert.match(got.san, /DNS:app\.pingap\.test/)
    assert.ok(filesMatching(pingap.dir, /\[certificates\.web\][\s\S]*BEGIN CERTIFICATE/).length > 0)
    await pingap.waitForLog((l) => l['msg'] === 'answered an ACME challenge')
    // The token was withdrawn once the order finished.
    assert.deepEqual(filesMatching(pingap.dir, /let's encrypt http-01 token/), [])
    const res = await request(
      `http://127.0.0.1:${challengePort}`,
      '/.well-known/acme-challenge/nope',
    )
    assert.equal(res.status, 404)
  })

  test('DNS-01 with the manual provider: the logged record, once created, completes it', async () => {
    const file = await eventually(() => {
      const [found] = filesMatching(pingap.dir, /acme dns-01 record/)
      if (found === undefined) throw new Error('no DNS record kept yet')
      return found
    }, 60_000)
    const text = readFileSync(join(pingap.dir, file), 'utf8')
    const m = /(_acme-challenge\.[^ ]+?)\.? TXT \\"([^"\\]+)\\"/.exec(text)
    assert.ok(m !== null, text)
    await pebble.setTxt(m[1]!, m[2]!)
    const got = await eventually(() => served(tls(), 'dns.pingap.test', roots), 60_000, 250)
    assert.match(got.issuer, /Pebble/)
    await eventually(() => assert.deepEqual(filesMatching(pingap.dir, /acme dns-01 record/), []))
  })

  test('a changed domain list orders the certificate again', async () => {
    const before = await served(tls(), 'app.pingap.test', roots)
    const [file] = filesMatching(pingap.dir, /\[certificates\.web\]/)
    assert.ok(file !== undefined)
    const text = readFileSync(join(pingap.dir, file), 'utf8')
    pingap.writeConf(
      file,
      text.replace(/domains = "app\.pingap\.test"/, 'domains = "app.pingap.test,www.pingap.test"'),
    )
    const after = await eventually(() => served(tls(), 'www.pingap.test', roots), 60_000, 250)
    assert.match(after.san, /DNS:app\.pingap\.test/)
    assert.match(after.san, /DNS:www\.pingap\.test/)
    assert.notEqual(after.serial, before.serial)
  })
})
