/**
 * Debian's `pebble` ACME test server and `pebble-challtestsrv` (fake DNS) on 127.0.0.1, with
 * their own free ports. Pebble validates HTTP-01 on `httpPort` of whatever the fake DNS answers
 * (always 127.0.0.1), and DNS-01 by asking the fake DNS, whose TXT records tests set over HTTP.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { makeCert } from './certs.ts'
import { eventually } from './eventually.ts'
import { closedPort } from './upstreams.ts'

export interface Pebble {
  /** The ACME directory URL. */
  readonly directory: string
  /** The PEM file pingap-ts must trust (NODE_EXTRA_CA_CERTS) to talk to Pebble. */
  readonly caFile: string
  /** Where HTTP-01 challenges are fetched (a pingap-ts plain listener must be there). */
  readonly httpPort: number
  /** The fake DNS server, `127.0.0.1:<port>`. */
  readonly dnsAddr: string
  /** Sets a TXT record in the fake DNS. */
  setTxt(host: string, value: string): Promise<void>
  /** The PEM of Pebble's current intermediate and root (regenerated on every start). */
  roots(): Promise<string>
  stop(): Promise<void>
}

/** Why the ACME test cannot run here, or undefined when Pebble is installed. */
export function pebbleMissing(): string | undefined {
  for (const bin of ['pebble', 'pebble-challtestsrv']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
      return `${bin} is not installed (Debian package "pebble")`
    }
  }
  return undefined
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

export interface PebbleOptions {
  /** Share of valid nonces Pebble refuses with `badNonce` (PEBBLE_WFE_NONCEREJECT); 0 default. */
  readonly nonceRejectPercent?: number
}

/** Starts challtestsrv and Pebble; `httpPort` is where pingap-ts will answer HTTP-01. */
export async function startPebble(httpPort: number, options: PebbleOptions = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), 'pebble-'))
  const tls = await makeCert({ dns: ['localhost'], ips: ['127.0.0.1'] })
  const caFile = join(dir, 'cert.pem')
  writeFileSync(caFile, tls.cert)
  writeFileSync(join(dir, 'key.pem'), tls.key)
  const [acmePort, mgmtPort, dnsPort, challMgmtPort, tlsPort] = await Promise.all(
    Array.from({ length: 5 }, () => closedPort()),
  )
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: caFile,
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  )
  const dnsAddr = `127.0.0.1:${dnsPort}`
  const chall = spawn(
    'pebble-challtestsrv',
    [
      '-dns01',
      dnsAddr,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${challMgmtPort}`,
      '-defaultIPv4',
      '127.0.0.1',
      '-defaultIPv6',
      '',
    ],
    { stdio: 'ignore' },
  )
  const pebble = spawn('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', dnsAddr], {
    env: {
      ...process.env,
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: String(options.nonceRejectPercent ?? 0),
    },
    stdio: 'ignore',
  })
  const agent = new Agent({ connect: { ca: tls.cert } })
  const directory = `https://127.0.0.1:${acmePort}/dir`
  let stopping: Promise<void> | undefined
  // Idempotent: a test may stop Pebble halfway (the CA goes away) and again in its cleanup.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all([stopChild(pebble), stopChild(chall)])
      await agent.close()
      rmSync(dir, { recursive: true, force: true })
    })())
  try {
    await eventually(async () => {
      const res = await request(directory, { dispatcher: agent })
      await res.body.dump()
      if (res.statusCode !== 200) throw new Error(`pebble answered ${res.statusCode}`)
      const mgmt = await request(`http://127.0.0.1:${challMgmtPort}/set-default-ipv4`, {
        method: 'POST',
        body: JSON.stringify({ ip: '127.0.0.1' }),
      })
      await mgmt.body.dump()
    }, 20_000)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    directory,
    caFile,
    httpPort,
    dnsAddr,
    async setTxt(host, value) {
      const res = await request(`http://127.0.0.1:${challMgmtPort}/set-txt`, {
        method: 'POST',
        body: JSON.stringify({ host: host.endsWith('.') ? host : `${host}.`, value }),
      })
      await res.body.dump()
      if (res.statusCode !== 200) throw new Error(`set-txt answered ${res.statusCode}`)
    },
    async roots() {
      const get = async (path: string): Promise<string> => {
        const res = await request(`https://127.0.0.1:${mgmtPort}${path}`, { dispatcher: agent })
        return res.body.text()
      }
      return `${await get('/intermediates/0')}\n${await get('/roots/0')}`
    },
    stop,
  }
}
