/**
 * gRPC through the real binary to a @grpc/grpc-js server: unary and server-streaming calls over
 * h2c and TLS, error statuses (trailers) end to end, the gRPC-Web bridge, the missing-module
 * error, and `grpc://` health checks taking a backend out and back in.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import * as grpc from '@grpc/grpc-js'
import { makeCa, makeCert, type TestCert } from '../helpers/certs.ts'
import { eventually } from '../helpers/eventually.ts'
import { ECHO_SERVICE, startGrpcServer, type TestGrpcServer } from '../helpers/grpc.ts'
import { requestRaw } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'

type EchoClient = grpc.Client & {
  Say(
    req: Buffer,
    md: grpc.Metadata,
    cb: (err: grpc.ServiceError | null, res?: Buffer) => void,
  ): void
  Count(req: Buffer): grpc.ClientReadableStream<Buffer>
  Chat(): grpc.ClientDuplexStream<Buffer, Buffer>
  Fail(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void
}

const EchoClientCtor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo')

function client(
  addr: string,
  credentials = grpc.credentials.createInsecure(),
  options: grpc.ClientOptions = {},
): EchoClient {
  return new EchoClientCtor(addr, credentials, options) as unknown as EchoClient
}

function say(c: EchoClient, text: string, md = new grpc.Metadata()): Promise<string> {
  return new Promise((resolve, reject) =>
    c.Say(Buffer.from(text), md, (err, res) =>
      err !== null ? reject(err) : resolve(res?.toString() ?? ''),
    ),
  )
}

function frame(flag: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head[0] = flag
  head.writeUInt32BE(payload.length, 1)
  return Buffer.concat([head, payload])
}

/** Splits a gRPC(-Web) body into its frames. */
function frames(body: Buffer): Array<{ flag: number; payload: Buffer }> {
  const out: Array<{ flag: number; payload: Buffer }> = []
  let i = 0
  while (i + 5 <= body.length) {
    const length = body.readUInt32BE(i + 1)
    out.push({ flag: body[i] ?? 0, payload: body.subarray(i + 5, i + 5 + length) })
    i += 5 + length
  }
  return out
}

function post(base: string, path: string, headers: Record<string, string>, body: Buffer) {
  return requestRaw(base, path, { method: 'POST', headers, body })
}

describe('gRPC through the proxy', () => {
  let upstream: TestGrpcServer
  let pingap: Pingap
  let ca: TestCert
  let leaf: TestCert
  const clients: grpc.Client[] = []

  before(async () => {
    upstream = await startGrpcServer()
    ca = await makeCa()
    leaf = await makeCert({ dns: ['grpc.test'], issuer: ca })
    const pem = (text: string): string => `'''\n${text.trim()}\n'''`
    pingap = await startPingap(
      {
        'pingap.toml': [
          `[upstreams.grpc]\naddrs = ["${upstream.addr}"]\nalpn = "h2"\nmax_h2_streams = 10\n`,
          `[upstreams.checked]\naddrs = ["${upstream.addr}"]\nalpn = "h2"\n` +
            'health_check = "grpc://127.0.0.1?service=svc&check_frequency=100ms&failure=1"\n',
          '[locations.rpc]\nupstream = "grpc"\n',
          '[locations.checked]\nhost = "checked.test"\nupstream = "checked"\n',
          '[locations.web]\nupstream = "grpc"\ngrpc_web = true\n',
          '[servers.h2c]\naddr = "127.0.0.1:0"\nenabled_h2 = true\nlocations = ["rpc", "checked"]\n',
          '[servers.tls]\naddr = "127.0.0.1:0"\nenabled_h2 = true\nglobal_certificates = true\n' +
            'locations = ["rpc"]\n',
          '[servers.web]\naddr = "127.0.0.1:0"\nmodules = ["grpc-web"]\nlocations = ["web"]\n',
          '[servers.nomodule]\naddr = "127.0.0.1:0"\nlocations = ["web"]\n',
          `[certificates.grpc]\ntls_cert = ${pem(leaf.chain)}\ntls_key = ${pem(leaf.key)}\n`,
        ].join('\n'),
      },
      { confPath: 'pingap.toml', waitFor: ['h2c', 'tls', 'web', 'nomodule'] },
    )
  })

  after(async () => {
    for (const c of clients) c.close()
    await pingap.stop()
    await upstream.close()
  })

  const hostPort = (name: string): string => pingap.servers.get(name)!.replace('http://', '')
  const h2c = (): EchoClient => {
    const c = client(hostPort('h2c'))
    clients.push(c)
    return c
  }

  test('unary call over h2c, metadata forwarded', async () => {
    const md = new grpc.Metadata()
    md.set('x-test', 'yes')
    assert.equal(await say(h2c(), 'hi', md), 'echo:hi')
    assert.equal(upstream.seen.at(-1)?.get('x-test')[0], 'yes')
  })

  test('server-streaming call', async () => {
    const stream = h2c().Count(Buffer.from('5'))
    const items: string[] = []
    for await (const item of stream) items.push((item as Buffer).toString())
    assert.deepEqual(items, ['item 1', 'item 2', 'item 3', 'item 4', 'item 5'])
  })

  test('bidirectional streaming: each message answered while the call stays open', async () => {
    const call = h2c().Chat()
    const replies: string[] = []
    call.on('data', (m: Buffer) => replies.push(m.toString()))
    for (const word of ['one', 'two', 'three']) {
      call.write(Buffer.from(word))
      await eventually(() => assert.equal(replies.at(-1), `re:${word}`))
    }
    call.end()
    await new Promise((resolve) => call.on('end', resolve))
    assert.deepEqual(replies, ['re:one', 're:two', 're:three'])
  })

  test('an error status travels back in the trailers', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve, reject) =>
      h2c().Fail(Buffer.from('x'), (e) =>
        e !== null ? resolve(e) : reject(new Error('no error')),
      ),
    )
    assert.equal(err.code, grpc.status.NOT_FOUND)
    assert.equal(err.details, 'no such thing')
  })

  test('unary call over TLS (ALPN h2)', async () => {
    const c = client(hostPort('tls'), grpc.credentials.createSsl(Buffer.from(ca.cert)), {
      'grpc.ssl_target_name_override': 'grpc.test',
      'grpc.default_authority': 'grpc.test',
    })
    clients.push(c)
    assert.equal(await say(c, 'secure'), 'echo:secure')
  })

  test('gRPC-Web: the trailers come back as the last frame', async () => {
    const res = await post(
      pingap.servers.get('web')!,
      '/test.Echo/Say',
      { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
      frame(0, Buffer.from('browser')),
    )
    assert.equal(res.status, 200)
    assert.equal(res.headers['content-type'], 'application/grpc-web+proto')
    const parts = frames(res.body)
    assert.equal(parts.length, 2)
    assert.equal(parts[0]?.flag, 0)
    assert.equal(parts[0]?.payload.toString(), 'echo:browser')
    assert.equal(parts[1]?.flag, 0x80)
    assert.match(parts[1]?.payload.toString() ?? '', /grpc-status: 0\r\n/)
  })

  test('grpc_web without the server module answers 500', async () => {
    const res = await post(
      pingap.servers.get('nomodule')!,
      '/test.Echo/Say',
      { 'content-type': 'application/grpc-web+proto' },
      frame(0, Buffer.from('x')),
    )
    assert.equal(res.status, 500)
    assert.match(res.body.toString(), /grpc web bridge module should be added/)
  })

  test('grpc:// health checks take the backend out and bring it back', async () => {
    const c = client(hostPort('h2c'), undefined, { 'grpc.default_authority': 'checked.test' })
    clients.push(c)
    upstream.health.set('svc', 1)
    await eventually(async () => assert.equal(await say(c, 'up'), 'echo:up'))
    upstream.health.set('svc', 2)
    await eventually(async () => {
      const code = await say(c, 'down').then(
        () => 0,
        (err: grpc.ServiceError) => err.code,
      )
      assert.equal(code, grpc.status.UNAVAILABLE)
    })
    upstream.health.set('svc', 1)
    await eventually(async () => assert.equal(await say(c, 'again'), 'echo:again'))
  })
})
