/**
 * pingap-ts's own HTTP/1 server (src/proxy/http1) on real loopback sockets: wire framing as
 * node:http writes it, pipelining order, request bodies with back-pressure, upgrades, parse
 * errors and the swept timeouts. The proxy-level behaviour on top of it is covered by the
 * hostile and end-to-end suites, which run against the real binary.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { AddressInfo, Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Http1Server } from '../../../src/proxy/http1/server.ts'
import type { Http1Request } from '../../../src/proxy/http1/request.ts'
import type { Http1Response } from '../../../src/proxy/http1/response.ts'
import { nativeParserBinding } from '../../../src/upstream/h1/native-parser.ts'
import { eventually } from '../../helpers/eventually.ts'
import { openSocket, raw, rawOn } from '../../hostile/helpers/raw.ts'

type Handler = (req: Http1Request, res: Http1Response) => void

describe('own HTTP/1 server', () => {
  const parser = nativeParserBinding
  test('the native llhttp binding is there (else plain listeners silently fall back)', () => {
    assert.ok(parser, 'no native parser of the expected shape: node:http would serve instead')
  })
  if (parser === undefined) return
  let server: Http1Server
  let port = 0
  let handler: Handler = (_req, res) => res.end('ok')
  const clientErrors: Array<{ code: string | undefined; packet: string }> = []

  before(async () => {
    server = new Http1Server(parser, {
      maxHeaderSize: 16 * 1024,
      connectionsCheckingInterval: 50,
      keepAlive: false,
    })
    server.keepAliveTimeout = 5_000
    server.on('request', (req: Http1Request, res: Http1Response) => handler(req, res))
    server.on('clientError', (err: Error & { code?: string; rawPacket?: Buffer }, socket) => {
      clientErrors.push({ code: err.code, packet: err.rawPacket?.toString('latin1') ?? '' })
      ;(socket as Socket).destroy()
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
  })

  after(() => {
    server.closeAllConnections()
    server.close()
  })

  test('end(body) without writeHead: Content-Length, Date, keep-alive with its timeout', async () => {
    handler = (_req, res) => res.end('héllo')
    const res = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 })
    const [first] = res.responses
    assert.equal(first?.status, 200)
    assert.equal(first?.headers['content-length'], '6', 'a string body is UTF-8')
    assert.equal(first?.body.toString('utf8'), 'héllo')
    assert.equal(first?.headers['connection'], 'keep-alive')
    assert.equal(first?.headers['keep-alive'], 'timeout=5')
    assert.match(first?.headers['date'] ?? '', /GMT$/)
  })

  test('writeHead without a length: chunked body with trailers; HTTP/1.0: closed to end it', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('a')
      res.write(Buffer.from('bc'))
      res.addTrailers({ 'x-sum': '3' })
      res.end()
    }
    const chunked = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 })
    assert.match(chunked.text, /Transfer-Encoding: chunked\r\n/)
    assert.match(chunked.text, /1\r\na\r\n2\r\nbc\r\n0\r\nx-sum: 3\r\n\r\n$/)
    const http10 = await raw(port, 'GET / HTTP/1.0\r\n\r\n')
    assert.ok(http10.closed)
    assert.match(http10.text, /Connection: close\r\n/)
    assert.ok(http10.text.endsWith('\r\n\r\nabc'), http10.text)
  })

  test('HEAD, 204 and 304 carry no body, whatever is written', async () => {
    handler = (req, res) => {
      res.writeHead(req.url === '/204' ? 204 : req.url === '/304' ? 304 : 200)
      res.end('ignored')
    }
    const head = await raw(port, 'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n', {
      responses: 1,
      methods: ['HEAD'],
    })
    assert.equal(head.statuses[0], 200)
    assert.ok(!head.text.includes('ignored') && !head.text.includes('chunked'), head.text)
    for (const path of ['/204', '/304']) {
      const res = await raw(port, `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`, { responses: 1 })
      assert.ok(res.text.endsWith('\r\n\r\n') && !res.text.includes('ignored'), res.text)
    }
  })

  test('pipelined requests are answered in order, the later one waiting for the earlier', async () => {
    // The first request is answered only after the second one was: its response must still
    // go out first.
    let answerSlow: () => void = () => undefined
    handler = (req, res) => {
      if (req.url === '/slow') answerSlow = () => res.end(req.url)
      else {
        res.end(req.url)
        answerSlow()
      }
    }
    const res = await raw(
      port,
      'GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /fast HTTP/1.1\r\nHost: a\r\n\r\n',
      { responses: 2 },
    )
    assert.deepEqual(
      res.responses.map((r) => r.body.toString()),
      ['/slow', '/fast'],
    )
  })

  test('a request body arrives in order through back-pressure', async () => {
    const size = 4 * 1024 * 1024
    handler = (req, res) => {
      let received = 0
      req.on('data', (chunk: Buffer) => {
        received += chunk.length
        req.pause()
        setImmediate(() => req.resume())
      })
      req.on('end', () => res.end(String(received)))
    }
    const body = Buffer.alloc(size, 'x')
    const res = await raw(
      port,
      [`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${size}\r\n\r\n`, body],
      { responses: 1, timeoutMs: 10_000 },
    )
    assert.equal(res.responses[0]?.body.toString(), String(size))
  })

  test('a body left unread is read away, so the next request on the connection works', async () => {
    handler = (req, res) => res.end(req.method)
    const res = await raw(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n',
      { responses: 2 },
    )
    assert.deepEqual(
      res.responses.map((r) => r.body.toString()),
      ['POST', 'GET'],
    )
  })

  test('header fields named like Object.prototype members are plain fields', async () => {
    let seen: unknown
    handler = (req, res) => {
      seen = { constructor: req.headers['constructor'], proto: req.headers['__proto__'] }
      res.end()
    }
    await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\nconstructor: y\r\n__proto__: x\r\n\r\n', {
      responses: 1,
    })
    assert.deepEqual(seen, { constructor: 'y', proto: 'x' })
  })

  test('a malformed request goes to clientError with the parser code and the raw bytes', async () => {
    clientErrors.length = 0
    const res = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n')
    assert.ok(res.closed)
    assert.equal(clientErrors[0]?.code, 'HPE_INVALID_HEADER_TOKEN')
    assert.match(clientErrors[0]?.packet ?? '', /Bad Header/)
  })

  test('an upgrade hands over the socket with the bytes after the head', async () => {
    const onUpgrade = (_req: Http1Request, socket: Socket, head: Buffer) => {
      socket.end(`HTTP/1.1 101 Switching Protocols\r\n\r\nhead=${head.toString()}`)
    }
    server.once('upgrade', onUpgrade)
    const res = await raw(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nEARLY',
    )
    assert.match(res.text, /^HTTP\/1\.1 101 [^]*head=EARLY$/)
  })

  test('a request head not finished within headersTimeout is a clientError timeout', async () => {
    clientErrors.length = 0
    server.headersTimeout = 150
    try {
      const socket = await openSocket(port)
      const res = await rawOn(socket, 'GET / HTTP/1.1\r\nHost: a\r\n', { timeoutMs: 2_000 })
      socket.destroy()
      assert.ok(res.closed)
      assert.equal(clientErrors[0]?.code, 'ERR_HTTP_REQUEST_TIMEOUT')
      assert.ok(res.elapsedMs >= 150, `closed after ${res.elapsedMs} ms`)
    } finally {
      server.headersTimeout = 60_000
    }
  })

  test('an idle keep-alive connection is closed after keepAliveTimeout', async () => {
    server.keepAliveTimeout = 150
    try {
      handler = (_req, res) => res.end('ok')
      const socket = await openSocket(port)
      const first = await rawOn(socket, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 })
      assert.equal(first.statuses[0], 200)
      const rest = await rawOn(socket, '', { timeoutMs: 2_000 })
      socket.destroy()
      assert.ok(rest.closed && rest.elapsedMs >= 150, `closed after ${rest.elapsedMs} ms`)
    } finally {
      server.keepAliveTimeout = 5_000
    }
  })

  test('a response whose client stopped reading is cut off after `timeout`', async () => {
    server.timeout = 200
    try {
      const closed = new Promise<number>((resolve) => {
        handler = (_req, res) => {
          const started = Date.now()
          res.once('close', () => resolve(Date.now() - started))
          const chunk = Buffer.alloc(1024 * 1024, 'y')
          const pump = (): void => {
            while (res.write(chunk));
            res.once('drain', pump)
          }
          pump()
        }
      })
      const socket = await openSocket(port)
      socket.pause() // never reads
      socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n')
      const stalledFor = await closed
      socket.destroy()
      assert.ok(stalledFor >= 200, `cut off after ${stalledFor} ms`)
    } finally {
      server.timeout = 0
    }
  })

  test("writeHead's headers win over setHeader's whatever their case", async () => {
    handler = (_req, res) => {
      res.setHeader('X-A', '1')
      res.setHeader('Content-Type', 'text/plain')
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('x')
    }
    const res = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 })
    assert.equal(res.responses[0]?.headers['content-type'], 'text/html')
    assert.equal(res.responses[0]?.headers['x-a'], '1')
  })

  test('a client that half-closes with a request in flight aborts it', async () => {
    const outcome = new Promise<boolean>((resolve) => {
      handler = (_req, res) => res.once('close', () => resolve(res.writableFinished))
    })
    const res = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { end: true })
    assert.ok(res.closed)
    assert.equal(await outcome, false)
  })

  test('closed connections are garbage-collected (their native parsers are released)', async () => {
    // A native parser is not collected by itself: left alone it keeps its callbacks, the
    // connection and the socket alive, ~5 KB per connection ever opened.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    let collected = 0
    const registry = new FinalizationRegistry(() => collected++)
    const track = (socket: Socket): void => registry.register(socket, undefined)
    server.on('connection', track)
    handler = (_req, res) => res.end('ok')
    const count = 50
    try {
      for (let i = 0; i < count; i++) {
        await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
      }
    } finally {
      server.off('connection', track)
    }
    await eventually(async () => {
      await new Promise((resolve) => setImmediate(resolve))
      gc()
      assert.ok(collected >= count * 0.9, `${collected} of ${count} sockets collected`)
    }, 5_000)
  })

  test('writeHead refuses header values with CR or LF', async () => {
    let error: unknown
    handler = (_req, res) => {
      try {
        res.writeHead(200, { 'x-evil': 'a\r\nset-cookie: b' })
      } catch (err) {
        error = err
      }
      res.writeHead(500)
      res.end()
    }
    const res = await raw(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 })
    assert.equal((error as { code?: string }).code, 'ERR_INVALID_CHAR')
    assert.equal(res.statuses[0], 500)
    assert.ok(!res.text.includes('set-cookie'))
  })
})
