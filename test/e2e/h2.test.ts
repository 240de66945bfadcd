/**
 * HTTP/2 end to end against the real binary: ALPN h2 with HTTP/1.1 fallback on TLS,
 * prior-knowledge h2c beside HTTP/1.1 on a plain port (curl and Node's http2 client), routing
 * by `:authority`, bodies both ways, `{proto}` in the access log, no pseudo-header upstream,
 * `host` vs `:authority` mismatch, the stream and header-list limits, and h2c / h2 upstreams.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import {
  connect,
  constants,
  createSecureServer,
  createServer as createH2Server,
  type ClientHttp2Session,
  type OutgoingHttpHeaders,
} from 'node:http2'
import type { AddressInfo, Server as NetServer } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { makeCert, type TestCert } from '../helpers/certs.ts'
import { eventually } from '../helpers/eventually.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'

interface H2Response {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** One request on `session`; resolves with status, headers and the whole body. */
function h2request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: Buffer,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined })
    const chunks: Buffer[] = []
    let head: IncomingHttpHeaders = {}
    stream.on('response', (h) => (head = h))
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () =>
      resolve({
        status: Number(head[':status']),
        headers: head,
        body: Buffer.concat(chunks),
      }),
    )
    stream.on('error', reject)
    if (body !== undefined) stream.end(body)
  })
}

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) =>
    execFile('curl', ['-s', '-k', ...args], { encoding: 'utf8' }, (err, stdout) =>
      resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout }),
    ),
  )
}

const hasCurl = await curl(['--version']).then((r) => r.code === 0 && r.stdout.includes('nghttp2'))

describe('HTTP/2', () => {
  let cert: TestCert
  let pingap: Pingap
  const seen: Array<{ url: string; version: string; headers: IncomingHttpHeaders }> = []
  const echo = createServer((req, res) => {
    seen.push({ url: req.url ?? '', version: req.httpVersion, headers: req.headers })
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size') ?? 0)
      res.setHeader('x-received', String(body.length))
      res.end(size > 0 ? Buffer.alloc(size, 'z') : `h1 ${req.url} ${body.length}`)
    })
  })
  const h2cUpstream = createH2Server((req, res) => {
    seen.push({ url: req.url, version: req.httpVersion, headers: req.headers })
    res.end(`h2c ${req.url}`)
  })
  let tlsUpstream: ReturnType<typeof createSecureServer>

  before(async () => {
    cert = await makeCert({ dns: ['a.test', 'b.test', 'localhost'] })
    tlsUpstream = createSecureServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      seen.push({ url: req.url, version: req.httpVersion, headers: req.headers })
      res.end(`h2tls ${req.url}`)
    })
    const listen = async (s: NetServer) => {
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
      return `127.0.0.1:${(s.address() as AddressInfo).port}`
    }
    const echoAddr = await listen(echo)
    const h2cAddr = await listen(h2cUpstream)
    const tlsAddr = await listen(tlsUpstream)
    const server = (name: string, extra: string): string =>
      `[servers.${name}]\naddr = "127.0.0.1:0"\nlocations = ["a", "b", "h2c", "h2tls"]\n` +
      `access_log = "{proto} {scheme} {host} {path} {status}"\n${extra}\n`
    const pem = (text: string): string => `'''\n${text.trim()}\n'''`
    pingap = await startPingap(
      {
        'pingap.toml': [
          `[upstreams.echo]\naddrs = ["${echoAddr}"]\n`,
          `[upstreams.h2c]\naddrs = ["${h2cAddr}"]\nalpn = "h2"\n`,
          `[upstreams.h2tls]\naddrs = ["${tlsAddr}"]\nalpn = "h2"\nsni = "localhost"\n` +
            'verify_cert = false\n',
          '[locations.a]\nhost = "a.test"\nupstream = "echo"\nproxy_set_headers = ["X-Loc: a"]\n',
          '[locations.b]\nhost = "b.test"\nupstream = "echo"\nproxy_set_headers = ["X-Loc: b"]\n',
          '[locations.h2c]\npath = "/h2c"\nupstream = "h2c"\n',
          '[locations.h2tls]\npath = "/h2tls"\nupstream = "h2tls"\n',
          server('tls', 'global_certificates = true\nenabled_h2 = true'),
          server('plain', 'enabled_h2 = true'),
          server('h1only', ''),
          `[certificates.main]\ntls_cert = ${pem(cert.cert)}\ntls_key = ${pem(cert.key)}\n` +
            'is_default = true\n',
        ].join('\n'),
      },
      { confPath: 'pingap.toml', waitFor: ['tls', 'plain', 'h1only'] },
    )
  })

  after(async () => {
    await pingap.stop()
    echo.closeAllConnections()
    echo.close()
    h2cUpstream.close()
    tlsUpstream.close()
  })

  const tlsUrl = (): string => pingap.servers.get('tls')!.replace('http://', 'https://')
  const plainUrl = (): string => pingap.servers.get('plain')!
  const open = (url: string): ClientHttp2Session =>
    connect(url, { rejectUnauthorized: false, servername: 'a.test' })

  test('curl: ALPN h2 and HTTP/1.1 on TLS, prior-knowledge h2c and HTTP/1.1 on plain', async (t) => {
    if (!hasCurl) {
      t.skip('curl with HTTP/2 support is not installed')
      return
    }
    const port = (url: string): string => new URL(url).port
    const tls = ['--resolve', `a.test:${port(tlsUrl())}:127.0.0.1`]
    const fmt = ['-o', '/dev/null', '-w', '%{http_version} %{http_code}']
    const cases: Array<[string[], string]> = [
      [[...tls, '--http2', ...fmt, `https://a.test:${port(tlsUrl())}/x`], '2 200'],
      [[...tls, '--http1.1', ...fmt, `https://a.test:${port(tlsUrl())}/x`], '1.1 200'],
      [['--http2-prior-knowledge', ...fmt, '-H', 'host: a.test', `${plainUrl()}/x`], '2 200'],
      [['--http1.1', ...fmt, '-H', 'host: a.test', `${plainUrl()}/x`], '1.1 200'],
    ]
    for (const [args, want] of cases) {
      assert.equal((await curl(args)).stdout, want, args.join(' '))
    }
    // The access log says HTTP/2.0 for h2 and h2c requests.
    await eventually(() => {
      const lines = pingap.stdout.join('').split('\n')
      assert.ok(lines.includes('HTTP/2.0 https a.test /x 200'), lines.join('\n'))
      assert.ok(lines.includes('HTTP/2.0 http a.test /x 200'))
      assert.ok(lines.includes('HTTP/1.1 https a.test /x 200'))
    })
  })

  test('a plain server without enabled_h2 does not speak h2c', async (t) => {
    if (!hasCurl) {
      t.skip('curl with HTTP/2 support is not installed')
      return
    }
    const { stdout } = await curl([
      '--http2-prior-knowledge',
      '-o',
      '/dev/null',
      '-w',
      '%{http_version}',
      `${pingap.servers.get('h1only')!}/x`,
    ])
    assert.notEqual(stdout, '2')
  })

  for (const [name, url] of [
    ['TLS', () => tlsUrl()],
    ['h2c', () => plainUrl()],
  ] as const) {
    test(`${name}: routing by :authority, no pseudo-header upstream, bodies both ways`, async () => {
      const session = open(url())
      try {
        const a = await h2request(session, { ':path': '/r', ':authority': 'a.test' })
        const b = await h2request(session, { ':path': '/r', ':authority': 'b.test' })
        assert.equal(a.status, 200)
        assert.equal(b.status, 200)
        const [seenA, seenB] = seen.slice(-2)
        assert.equal(seenA?.headers['x-loc'], 'a')
        assert.equal(seenB?.headers['x-loc'], 'b')
        assert.equal(seenA?.headers.host, 'a.test')
        assert.deepEqual(
          Object.keys(seenA?.headers ?? {}).filter((h) => h.startsWith(':')),
          [],
        )
        const upload = Buffer.alloc(1_000_000, 'u')
        const up = await h2request(
          session,
          { ':method': 'POST', ':path': '/up', ':authority': 'a.test' },
          upload,
        )
        assert.equal(up.headers['x-received'], String(upload.length))
        const down = await h2request(session, {
          ':path': '/down?size=1000000',
          ':authority': 'a.test',
        })
        assert.equal(down.body.length, 1_000_000)
      } finally {
        session.close()
      }
    })
  }

  test('host and :authority that disagree get 400', async () => {
    const session = open(tlsUrl())
    try {
      const res = await h2request(session, {
        ':path': '/r',
        ':authority': 'a.test',
        host: 'evil.test',
      })
      assert.equal(res.status, 400)
    } finally {
      session.close()
    }
  })

  test('limits: 100 concurrent streams advertised, an oversized header list refused', async () => {
    const session = open(tlsUrl())
    try {
      await new Promise((resolve) => session.once('remoteSettings', resolve))
      assert.equal(session.remoteSettings.maxConcurrentStreams, 100)
      const huge = 'x'.repeat(40_000)
      const outcome = await h2request(session, {
        ':path': '/r',
        ':authority': 'a.test',
        'x-huge': huge,
      }).then(
        (r) => r.status,
        (err: { code?: string }) => err.code ?? 'error',
      )
      assert.notEqual(outcome, 200)
    } finally {
      session.destroy()
    }
  })

  test('h2c and TLS h2 upstreams (alpn = "h2")', async () => {
    const session = open(tlsUrl())
    try {
      const h2c = await h2request(session, { ':path': '/h2c/x', ':authority': 'a.test' })
      assert.equal(h2c.body.toString(), 'h2c /h2c/x')
      assert.equal(seen.at(-1)?.version, '2.0')
      const h2tls = await h2request(session, { ':path': '/h2tls/y', ':authority': 'a.test' })
      assert.equal(h2tls.body.toString(), 'h2tls /h2tls/y')
      assert.equal(seen.at(-1)?.version, '2.0')
      assert.equal(seen.at(-1)?.headers[':authority'], 'a.test')
    } finally {
      session.close()
    }
  })

  test('a GOAWAY-closed session leaves the listener serving', async () => {
    const session = open(plainUrl())
    await h2request(session, { ':path': '/r', ':authority': 'a.test' })
    session.goaway(constants.NGHTTP2_NO_ERROR)
    session.destroy()
    const again = open(plainUrl())
    try {
      assert.equal((await h2request(again, { ':path': '/r', ':authority': 'a.test' })).status, 200)
    } finally {
      again.close()
    }
  })
})
