/**
 * The recording upstream: a raw `net` server that keeps every byte it receives, splits the
 * stream into requests by their framing (Content-Length or chunked), and answers each with
 * `200` and a Content-Length body. `mark()` / `since()` give what one check caused, so a test
 * can prove that nothing (or exactly one well-framed request) reached the upstream.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { once } from 'node:events'

/** One request as the upstream saw it. */
export interface RecordedRequest {
  readonly connection: number
  readonly method: string
  readonly target: string
  readonly version: string
  /** Raw header lines, in order, as `[name, value]` with the name's case kept. */
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>
  readonly body: Buffer
  /** How the body was framed: 'length', 'chunked' or 'none'. */
  readonly framing: 'length' | 'chunked' | 'none'
  /** The bytes of the request head exactly as received. */
  readonly head: string
}

/** A position in the recorder's history. */
export interface RecorderMark {
  readonly requests: number
  readonly bytes: number
  readonly connections: number
}

export interface Recorder {
  readonly port: number
  readonly addr: string
  readonly requests: RecordedRequest[]
  /** Connections that closed with an incomplete request buffered: the first line of each. */
  readonly abandoned: string[]
  /** Total bytes received on every connection. */
  bytes(): number
  connections(): number
  /** Connections currently open. */
  open(): number
  mark(): RecorderMark
  since(mark: RecorderMark): { requests: RecordedRequest[]; bytes: number; connections: number }
  /** Requests since `mark` whose target is not one of the canary's. */
  unexpected(mark: RecorderMark): RecordedRequest[]
  /** Value of the first header called `name` (case-insensitive). */
  header(request: RecordedRequest, name: string): string | undefined
  close(): Promise<void>
}

const CRLF2 = Buffer.from('\r\n\r\n')

/** Parses one request from `buf`; undefined until it is complete. */
export function parseRequest(
  buf: Buffer,
  connection: number,
): { request: RecordedRequest; used: number } | undefined {
  const headEnd = buf.indexOf(CRLF2)
  if (headEnd < 0) return undefined
  const head = buf.subarray(0, headEnd).toString('latin1')
  const [line = '', ...rest] = head.split('\r\n')
  const [method = '', target = '', version = ''] = line.split(' ')
  const rawHeaders = rest.map((l): readonly [string, string] => {
    const colon = l.indexOf(':')
    return colon < 0 ? [l, ''] : [l.slice(0, colon), l.slice(colon + 1).trim()]
  })
  const find = (n: string): string | undefined =>
    rawHeaders.find(([k]) => k.toLowerCase() === n)?.[1]
  const start = headEnd + 4
  const base = { connection, method, target, version, rawHeaders, head }
  if (find('transfer-encoding')?.toLowerCase().includes('chunked') === true) {
    const parts: Buffer[] = []
    let at = start
    for (;;) {
      const eol = buf.indexOf('\r\n', at)
      if (eol < 0) return undefined
      const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16)
      if (size === 0 || !Number.isFinite(size)) {
        const end = buf.indexOf(CRLF2, eol)
        if (end < 0) return undefined
        const request = { ...base, body: Buffer.concat(parts), framing: 'chunked' as const }
        return { request, used: end + 4 }
      }
      if (buf.length < eol + 2 + size + 2) return undefined
      parts.push(buf.subarray(eol + 2, eol + 2 + size))
      at = eol + 2 + size + 2
    }
  }
  const cl = find('content-length')
  if (cl !== undefined) {
    const length = Number(cl)
    if (buf.length - start < length) return undefined
    const body = buf.subarray(start, start + length)
    return { request: { ...base, body, framing: 'length' }, used: start + length }
  }
  return { request: { ...base, body: Buffer.alloc(0), framing: 'none' }, used: start }
}

/** Starts the recorder on 127.0.0.1:0. */
export async function startRecorder(): Promise<Recorder> {
  const requests: RecordedRequest[] = []
  const abandoned: string[] = []
  const sockets = new Set<Socket>()
  let bytes = 0
  let connections = 0
  const server: Server = createServer((socket) => {
    const id = ++connections
    socket.setNoDelay(true)
    sockets.add(socket)
    let buf: Buffer = Buffer.alloc(0)
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      sockets.delete(socket)
      if (buf.length > 0) abandoned.push(buf.toString('latin1').split('\r\n')[0] ?? '')
    })
    socket.on('data', (d: Buffer) => {
      bytes += d.length
      buf = buf.length === 0 ? d : Buffer.concat([buf, d])
      for (;;) {
        const parsed = parseRequest(buf, id)
        if (parsed === undefined) return
        buf = buf.subarray(parsed.used)
        requests.push(parsed.request)
        const body = Buffer.from(`recorder ${parsed.request.method} ${parsed.request.target}`)
        const headOnly = parsed.request.method === 'HEAD'
        const head =
          `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n` +
          `x-recorder-connection: ${id}\r\n\r\n`
        socket.write(headOnly ? head : Buffer.concat([Buffer.from(head), body]))
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const mark = (): RecorderMark => ({ requests: requests.length, bytes, connections })
  return {
    port,
    addr: `127.0.0.1:${port}`,
    requests,
    abandoned,
    bytes: () => bytes,
    connections: () => connections,
    open: () => sockets.size,
    mark,
    since: (m) => ({
      requests: requests.slice(m.requests),
      bytes: bytes - m.bytes,
      connections: connections - m.connections,
    }),
    unexpected: (m) => requests.slice(m.requests).filter((r) => !r.target.startsWith('/canary')),
    header: (request, name) => request.rawHeaders.find(([k]) => k.toLowerCase() === name)?.[1],
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
