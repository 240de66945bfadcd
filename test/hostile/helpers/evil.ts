/**
 * The misbehaving upstream: a raw `net` server whose answer is chosen by the request path
 * (`/e/<behaviour>`): refuse-like resets, FIN or RST mid-body, garbage, invalid statuses, a 101
 * to a plain request, oversize headers, hangs, extra bytes after the body, early answers to
 * uploads and a keep-alive race. Any other path gets a clean `200 ok`.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import { parseRequest, type RecordedRequest } from './recorder.ts'

const B = (s: string): Buffer => Buffer.from(s, 'latin1')
const OK = B('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')

/** State of one upstream connection, given to each behaviour. */
interface Conn {
  readonly socket: Socket
  /** Requests already answered on this connection before the current one. */
  readonly served: number
}

type Behaviour = (conn: Conn, request: RecordedRequest) => void

const later = (ms: number, fn: () => void): void => void setTimeout(fn, ms).unref()

const BEHAVIOURS: Readonly<Record<string, Behaviour>> = {
  hang: () => undefined,
  rst: ({ socket }) => socket.resetAndDestroy(),
  fin: ({ socket }) => socket.end(),
  'midbody-rst': ({ socket }) => {
    socket.write(B('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789'))
    later(30, () => socket.resetAndDestroy())
  },
  'midbody-fin': ({ socket }) => {
    socket.write(B('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789'))
    later(30, () => socket.end())
  },
  'chunk-noterm': ({ socket }) => {
    socket.write(B('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n'))
    later(30, () => socket.end())
  },
  'chunk-bad': ({ socket }) => {
    socket.write(B('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n'))
    later(30, () => socket.end(B('zz\r\nxx\r\n0\r\n\r\n')))
  },
  garbage: ({ socket }) => socket.end(B('\x00\x01\x02garbage\xff\xfe\r\n\r\n')),
  icy: ({ socket }) => socket.end(B('ICY 200 OK\r\ncontent-length: 2\r\n\r\nok')),
  s099: ({ socket }) => socket.end(B('HTTP/1.1 099 X\r\ncontent-length: 2\r\n\r\nok')),
  s2000: ({ socket }) => socket.end(B('HTTP/1.1 2000 X\r\ncontent-length: 2\r\n\r\nok')),
  s101: ({ socket }) =>
    socket.write(
      B('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n'),
    ),
  clte: ({ socket }) =>
    socket.end(
      B(
        'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
      ),
    ),
  'two-cl': ({ socket }) =>
    socket.end(B('HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nok!')),
  obsfold: ({ socket }) =>
    socket.end(B('HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\ncontent-length: 2\r\n\r\nok')),
  nul: ({ socket }) =>
    socket.end(B('HTTP/1.1 200 OK\r\nx-a: a\x00b\r\ncontent-length: 2\r\n\r\nok')),
  'big-header': ({ socket }) =>
    socket.end(B(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(40_000)}\r\ncontent-length: 2\r\n\r\nok`)),
  'stall-body': ({ socket }) =>
    socket.write(B('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nhello')),
  extra: ({ socket }) =>
    socket.write(
      B(
        'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nPOISON',
      ),
    ),
  'early-413': ({ socket }) =>
    socket.end(
      B('HTTP/1.1 413 Payload Too Large\r\nconnection: close\r\ncontent-length: 3\r\n\r\nbig'),
    ),
  '103': ({ socket }) =>
    socket.write(
      B(
        'HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n' +
          'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
      ),
    ),
  '100': ({ socket }) =>
    socket.write(B('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')),
  '102': ({ socket }) =>
    socket.write(
      B('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'),
    ),
  'close-delimited': ({ socket }) => socket.end(B('HTTP/1.0 200 OK\r\n\r\nuntil-close')),
  hop: ({ socket }) =>
    socket.write(
      B(
        'HTTP/1.1 200 OK\r\nconnection: x-bar\r\nx-bar: 1\r\nkeep-alive: timeout=5\r\n' +
          'proxy-connection: x\r\nupgrade: foo\r\ntrailer: x-t\r\nx-kept: yes\r\n' +
          'content-length: 2\r\n\r\nok',
      ),
    ),
  // 50 MB with back-pressure, so a client that never reads stalls the stream, not memory.
  big: ({ socket }) => {
    const total = 50 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    socket.write(B(`HTTP/1.1 200 OK\r\ncontent-length: ${total}\r\n\r\n`))
    const pump = (): void => {
      while (sent < total && !socket.destroyed) {
        sent += chunk.length
        if (!socket.write(chunk)) {
          socket.once('drain', pump)
          return
        }
      }
    }
    pump()
  },
  slow: ({ socket }, request) => {
    const ms = Number(/[?&]ms=(\d+)/.exec(request.target)?.[1] ?? 1000)
    later(ms, () => {
      if (!socket.destroyed) socket.write(OK)
    })
  },
  // The keep-alive race: a request arriving on a connection that already served one is met by
  // a close, as if the server's idle timer fired just as the proxy reused the connection.
  race: ({ socket, served }) => {
    if (served > 0) socket.destroy()
    else socket.write(B('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nrace'))
  },
}

export interface Evil {
  readonly port: number
  readonly addr: string
  /** Every request received (complete heads; bodies of uploads may be partial). */
  readonly requests: RecordedRequest[]
  /** Heads of requests whose connection closed with the body incomplete. */
  readonly abandoned: string[]
  connections(): number
  open(): number
  /** True while connection `id` (RecordedRequest.connection) is open. */
  isOpen(id: number): boolean
  close(): Promise<void>
}

/** Behaviours keyed by name, for tests that list them. */
export const EVIL_BEHAVIOURS = Object.keys(BEHAVIOURS)

/** Starts the evil upstream on 127.0.0.1:0. */
export async function startEvil(): Promise<Evil> {
  const requests: RecordedRequest[] = []
  const abandoned: string[] = []
  const sockets = new Set<Socket>()
  const openIds = new Set<number>()
  let connections = 0
  const server: Server = createServer((socket) => {
    const id = ++connections
    openIds.add(id)
    socket.setNoDelay(true)
    sockets.add(socket)
    let buf: Buffer = Buffer.alloc(0)
    let served = 0
    let headOnlyDone = false
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      sockets.delete(socket)
      openIds.delete(id)
      if (buf.length > 0 && !headOnlyDone)
        abandoned.push(buf.toString('latin1').split('\r\n')[0] ?? '')
    })
    socket.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d])
      for (;;) {
        const parsed = parseRequest(buf, id)
        if (parsed === undefined) {
          // Early answers do not wait for the body.
          const line = buf.toString('latin1').split('\r\n')[0] ?? ''
          if (!headOnlyDone && line.includes(' /e/early-413') && buf.includes('\r\n\r\n')) {
            headOnlyDone = true
            BEHAVIOURS['early-413']?.({ socket, served }, {} as RecordedRequest)
          }
          return
        }
        buf = buf.subarray(parsed.used)
        requests.push(parsed.request)
        const name = parsed.request.target.split('?')[0]?.replace(/^\/e\//, '') ?? ''
        const behaviour = parsed.request.target.startsWith('/e/') ? BEHAVIOURS[name] : undefined
        if (behaviour === undefined) socket.write(OK)
        else behaviour({ socket, served }, parsed.request)
        served++
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    port,
    addr: `127.0.0.1:${port}`,
    requests,
    abandoned,
    connections: () => connections,
    open: () => sockets.size,
    isOpen: (id) => openIds.has(id),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
