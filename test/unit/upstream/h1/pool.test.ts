import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type RequestListener } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { PassThrough, Readable } from 'node:stream'
import { after, test } from 'node:test'
import type { Dispatcher } from 'undici'
import { H1Pool, type H1PoolOptions } from '../../../../src/upstream/h1/pool.ts'
import { nativeParser } from '../../../../src/upstream/h1/native-parser.ts'
import { makeCert } from '../../../helpers/certs.ts'
import { dispatchRequest } from '../../../helpers/dispatch-request.ts'
import { eventually } from '../../../helpers/eventually.ts'

const closers: (() => unknown)[] = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

function poolFor(port: number, overrides: Partial<H1PoolOptions> = {}): H1Pool {
  assert.ok(nativeParser !== undefined, 'this Node has the native parser')
  const pool = new H1Pool({
    host: '127.0.0.1',
    port,
    authority: `127.0.0.1:${port}`,
    tls: false,
    servername: undefined,
    rejectUnauthorized: true,
    connections: 8,
    keepAliveTimeoutMs: 60_000,
    connectTimeoutMs: 2_000,
    readTimeoutMs: 5_000,
    tcpKeepAliveDelayMs: undefined,
    family: undefined,
    maxHeaderSize: 16_384,
    parser: nativeParser,
    ...overrides,
  })
  closers.push(() => pool.destroy())
  return pool
}

async function httpServer(
  handler: RequestListener,
): Promise<{ port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>()
  const server = createServer(handler)
  server.on('connection', (s: Socket) => sockets.add(s))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  closers.push(() => {
    server.closeAllConnections()
    server.close()
  })
  return { port: (server.address() as AddressInfo).port, sockets }
}

/** A TCP server that answers every request with the bytes `reply` returns for it. */
async function rawServer(
  reply: (request: string, socket: Socket) => string | undefined,
): Promise<{ port: number; connections: () => number }> {
  let count = 0
  const server = createTcpServer((socket) => {
    count++
    let buffered = ''
    socket.on('error', () => undefined)
    socket.on('data', (data) => {
      buffered += data.toString('latin1')
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) return
      const request = buffered.slice(0, end)
      buffered = buffered.slice(end + 4)
      const answer = reply(request, socket)
      if (answer !== undefined) socket.write(answer, 'latin1')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const open = new Set<Socket>()
  server.on('connection', (s: Socket) => open.add(s))
  closers.push(() => {
    for (const s of open) s.destroy()
    server.close()
  })
  return { port: (server.address() as AddressInfo).port, connections: () => count }
}

test('sequential requests reuse one keep-alive connection', async () => {
  const { port, sockets } = await httpServer((req, res) => res.end(`saw ${req.url}`))
  const pool = poolFor(port)
  for (let i = 0; i < 20; i++) {
    const res = await dispatchRequest(pool, { method: 'GET', path: `/r${i}` })
    assert.equal(await res.body.text(), `saw /r${i}`)
  }
  assert.equal(sockets.size, 1)
  assert.equal(pool.stats.free, 1)
})

test('chunked bodies, trailers, repeated headers and the Host default', async () => {
  const { port } = await httpServer((req, res) => {
    res.setHeader('Set-Cookie', ['a=1', 'b=2'])
    res.setHeader('Trailer', 'x-checksum')
    res.setHeader('X-Host', String(req.headers.host))
    res.write('hello ')
    res.addTrailers({ 'x-checksum': 'abc' })
    res.end('world')
  })
  const res = await dispatchRequest(poolFor(port), { method: 'GET', path: '/' })
  assert.equal(await res.body.text(), 'hello world')
  assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2'])
  assert.equal(res.headers['x-host'], `127.0.0.1:${port}`)
  assert.equal(res.trailers['x-checksum'], 'abc')
})

test('HEAD, 204 and 304 responses have no body and keep the connection', async () => {
  const { port, sockets } = await httpServer((req, res) => {
    if (req.url === '/204') res.writeHead(204).end()
    else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end()
    else res.writeHead(200, { 'content-length': '5' }).end(req.method === 'HEAD' ? '' : 'hello')
  })
  const pool = poolFor(port)
  const head = await dispatchRequest(pool, { method: 'HEAD', path: '/' })
  assert.equal(head.headers['content-length'], '5')
  assert.equal(await head.body.text(), '')
  for (const path of ['/204', '/304']) {
    const res = await dispatchRequest(pool, { method: 'GET', path })
    assert.equal(await res.body.text(), '')
  }
  assert.equal(
    await (await dispatchRequest(pool, { method: 'GET', path: '/' })).body.text(),
    'hello',
  )
  assert.equal(sockets.size, 1)
})

test('interim 1xx responses are skipped; the final response is relayed', async () => {
  const { port } = await rawServer(
    () =>
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
  )
  const res = await dispatchRequest(poolFor(port), { method: 'GET', path: '/' })
  assert.equal(res.statusCode, 200)
  assert.equal(await res.body.text(), 'ok')
})

test('Connection: close and close-delimited bodies end the connection', async () => {
  const server = await rawServer((request, socket) => {
    if (request.startsWith('GET /close')) {
      return 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok'
    }
    // HTTP/1.0 without Content-Length: the body is everything until the server closes.
    socket.end('HTTP/1.0 200 OK\r\n\r\nuntil-close', 'latin1')
    return undefined
  })
  const pool = poolFor(server.port)
  const first = await dispatchRequest(pool, { method: 'GET', path: '/close' })
  assert.equal(await first.body.text(), 'ok')
  await eventually(() => assert.equal(pool.stats.connected, 0))
  const res = await dispatchRequest(pool, { method: 'GET', path: '/eof' })
  assert.equal(await res.body.text(), 'until-close')
  await eventually(() => assert.equal(pool.stats.connected, 0))
  assert.equal(server.connections(), 2)
})

test('bytes after a response are never handed to the next request', async () => {
  const { port, connections } = await rawServer(
    () =>
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' +
      'HTTP/1.1 204 Smuggled\r\nX-Smuggled: 1\r\n\r\n',
  )
  const pool = poolFor(port)
  const first = await dispatchRequest(pool, { method: 'GET', path: '/a' })
  assert.equal(await first.body.text(), 'ok')
  const second = await dispatchRequest(pool, { method: 'GET', path: '/b' })
  assert.equal(await second.body.text(), 'ok')
  assert.equal(connections(), 2, 'the poisoned connection was not reused')
})

test('a 101 to a plain request fails the exchange; nothing is relayed', async () => {
  const { port } = await rawServer(
    () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n',
  )
  await assert.rejects(dispatchRequest(poolFor(port), { method: 'GET', path: '/' }), {
    code: 'HPE_INVALID_RESPONSE',
  })
})

test('Content-Length is written as the number it means', async () => {
  const { port } = await httpServer((req, res) => {
    req.resume()
    req.on('end', () => res.end(String(req.headers['content-length'])))
  })
  const res = await dispatchRequest(poolFor(port), {
    method: 'POST',
    path: '/',
    headers: { 'content-length': '005' },
    body: Readable.from([Buffer.from('hello')]),
  })
  assert.equal(await res.body.text(), '5')
})

test('a malformed response fails with a parser error code', async () => {
  const { port } = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n')
  await assert.rejects(dispatchRequest(poolFor(port), { method: 'GET', path: '/' }), (err) => {
    assert.match(String((err as { code?: string }).code), /^HPE_/)
    return true
  })
})

test('refused connections and timeouts carry undici error codes', async () => {
  const closed = createTcpServer().listen(0, '127.0.0.1')
  await once(closed, 'listening')
  const deadPort = (closed.address() as AddressInfo).port
  closed.close()
  await assert.rejects(dispatchRequest(poolFor(deadPort), { method: 'GET', path: '/' }), {
    code: 'ECONNREFUSED',
  })
  const silent = await rawServer(() => undefined)
  await assert.rejects(
    dispatchRequest(poolFor(silent.port, { readTimeoutMs: 200 }), { method: 'GET', path: '/' }),
    { code: 'UND_ERR_HEADERS_TIMEOUT' },
  )
  const stalls = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart')
  const res = await dispatchRequest(poolFor(stalls.port, { readTimeoutMs: 200 }), {
    method: 'GET',
    path: '/',
  })
  await assert.rejects(res.body.text(), { code: 'UND_ERR_BODY_TIMEOUT' })
})

test('request bodies: chunked when the length is unknown, raw with Content-Length', async () => {
  const { port } = await httpServer((req, res) => {
    let size = 0
    req.on('data', (c: Buffer) => (size += c.length))
    req.on('end', () => res.end(`${req.headers['transfer-encoding'] ?? 'fixed'} ${size}`))
  })
  const pool = poolFor(port)
  const chunked = await dispatchRequest(pool, {
    method: 'POST',
    path: '/',
    body: Readable.from([Buffer.alloc(1000), Buffer.alloc(24)]),
  })
  assert.equal(await chunked.body.text(), 'chunked 1024')
  const fixed = await dispatchRequest(pool, {
    method: 'PUT',
    path: '/',
    headers: { 'content-length': '3' },
    body: Readable.from([Buffer.from('abc')]),
  })
  assert.equal(await fixed.body.text(), 'fixed 3')
  const empty = await dispatchRequest(pool, { method: 'POST', path: '/' })
  assert.equal(await empty.body.text(), 'fixed 0')
})

test('a request body error fails the exchange and closes the connection', async () => {
  const { port } = await httpServer((req) => req.resume())
  const body = new PassThrough()
  const pending = dispatchRequest(poolFor(port), { method: 'POST', path: '/', body })
  body.write('partial')
  setImmediate(() => body.destroy(Object.assign(new Error('too large'), { code: 'X_BODY' })))
  await assert.rejects(pending, { code: 'X_BODY' })
})

test('an early response while the body is still uploading is relayed, then the connection closed', async () => {
  const { port, sockets } = await httpServer((_req, res) => res.writeHead(413).end('no'))
  const pool = poolFor(port)
  const body = new PassThrough()
  const res = await dispatchRequest(pool, { method: 'POST', path: '/', body })
  body.write('x'.repeat(100))
  assert.equal(res.statusCode, 413)
  assert.equal(await res.body.text(), 'no')
  await eventually(() => assert.equal(pool.stats.connected, 0))
  body.end()
  const next = await dispatchRequest(pool, { method: 'GET', path: '/' })
  assert.equal(next.statusCode, 413)
  assert.equal(sockets.size, 2)
})

test('pause() holds the body back and resume() continues it, byte for byte', async () => {
  const size = 8 * 1024 * 1024
  const { port } = await httpServer((_req, res) => res.end(Buffer.alloc(size, 7)))
  const pool = poolFor(port)
  let received = 0
  let pauses = 0
  await new Promise<void>((resolve, reject) => {
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseData(controller, chunk) {
        received += chunk.length
        if (!controller.paused && pauses < 50) {
          pauses++
          controller.pause()
          setTimeout(() => controller.resume(), 1)
        }
      },
      onResponseEnd: () => resolve(),
      onResponseError: (_c, err) => reject(err),
    }
    pool.dispatch({ method: 'GET', path: '/', headers: {} }, handler)
  })
  assert.equal(received, size)
  assert.ok(pauses > 1)
})

test('abort() fails the exchange once with the reason and drops the connection', async () => {
  const { port, sockets } = await httpServer((_req, res) => res.write('start'))
  const pool = poolFor(port)
  const errors: Error[] = []
  await new Promise<void>((resolve) => {
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseData(controller) {
        controller.abort(new Error('client gone'))
        controller.abort(new Error('twice'))
        resolve()
      },
      onResponseError: (_c, err) => errors.push(err),
    }
    pool.dispatch({ method: 'GET', path: '/', headers: {} }, handler)
  })
  assert.equal(pool.stats.connected, 0)
  // Once the backend saw the connection close, the pool's socket has closed too: a late
  // 'close' or 'error' must not have reported the exchange a second time.
  await eventually(() => assert.ok([...sockets].every((s) => s.destroyed)))
  assert.deepEqual(
    errors.map((e) => e.message),
    ['client gone'],
  )
})

test('at most `connections` sockets; the rest wait their turn', async () => {
  const { port, sockets } = await httpServer((req, res) => setTimeout(() => res.end(req.url), 20))
  const pool = poolFor(port, { connections: 2 })
  const bodies = await Promise.all(
    Array.from({ length: 7 }, async (_, i) =>
      (await dispatchRequest(pool, { method: 'GET', path: `/${i}` })).body.text(),
    ),
  )
  assert.deepEqual(bodies, ['/0', '/1', '/2', '/3', '/4', '/5', '/6'])
  assert.equal(sockets.size, 2)
})

test('header values with CR or LF and bad paths are refused before anything is sent', async () => {
  const server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
  const pool = poolFor(server.port)
  await assert.rejects(
    dispatchRequest(pool, { method: 'GET', path: '/', headers: { 'x-a': 'v\r\nx-b: 1' } }),
    { code: 'UND_ERR_INVALID_ARG' },
  )
  await assert.rejects(dispatchRequest(pool, { method: 'GET', path: '/a b' }), {
    code: 'UND_ERR_INVALID_ARG',
  })
  assert.equal(server.connections(), 0)
})

test("a backend's Keep-Alive timeout hint shortens the idle time", async () => {
  const { port, sockets } = await httpServer((_req, res) => {
    res.setHeader('Keep-Alive', 'timeout=1')
    res.end('ok')
  })
  const pool = poolFor(port)
  await (await dispatchRequest(pool, { method: 'GET', path: '/' })).body.text()
  // timeout=1 minus the one-second safety margin: the connection is not kept at all.
  await eventually(() => assert.equal(pool.stats.connected, 0))
  await (await dispatchRequest(pool, { method: 'GET', path: '/' })).body.text()
  assert.equal(sockets.size, 2)
})

test('TLS backends: SNI, verification, and session reuse', async () => {
  const cert = await makeCert({ cn: 'backend.test', dns: ['backend.test'] })
  const seen: (string | undefined)[] = []
  const server = createHttpsServer({ cert: cert.cert, key: cert.key }, (req, res) => {
    seen.push((req.socket as { servername?: string }).servername)
    res.end('secure')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  closers.push(() => {
    server.closeAllConnections()
    server.close()
  })
  const port = (server.address() as AddressInfo).port
  const trusting = poolFor(port, {
    tls: true,
    servername: 'backend.test',
    rejectUnauthorized: false,
  })
  const res = await dispatchRequest(trusting, { method: 'GET', path: '/' })
  assert.equal(await res.body.text(), 'secure')
  assert.deepEqual(seen, ['backend.test'])
  const verifying = poolFor(port, { tls: true, servername: 'backend.test' })
  await assert.rejects(dispatchRequest(verifying, { method: 'GET', path: '/' }))
})

test('close() lets running requests finish and refuses new ones', async () => {
  let release: () => void = () => undefined
  const { port } = await httpServer((_req, res) => {
    res.write('a')
    release = () => res.end('b')
  })
  const pool = poolFor(port)
  const res = await dispatchRequest(pool, { method: 'GET', path: '/' })
  const closing = pool.close()
  await assert.rejects(dispatchRequest(pool, { method: 'GET', path: '/' }), {
    code: 'UND_ERR_CLOSED',
  })
  release()
  assert.equal(await res.body.text(), 'ab')
  await closing
  assert.equal(pool.stats.connected, 0)
})
