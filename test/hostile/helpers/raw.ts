/**
 * Raw-socket HTTP/1 helpers: write exact bytes to a port and read the raw answer back, parsed
 * into responses as far as their framing allows. No client library sits in between, so what the
 * test sends is exactly what the proxy's parser sees.
 */
import { connect, type Socket } from 'node:net'

/** One response parsed from the raw bytes. */
export interface RawResponse {
  readonly status: number
  /** Lower-cased header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  /** False when the connection ended before the framing said the body was complete. */
  readonly complete: boolean
}

/** What one exchange produced. */
export interface RawResult {
  readonly responses: RawResponse[]
  readonly statuses: number[]
  /** The server closed (FIN or RST) before the deadline. */
  readonly closed: boolean
  readonly reset: boolean
  /** Everything received, as latin1 text. */
  readonly text: string
  readonly elapsedMs: number
}

export interface RawOptions {
  /** Resolve once this many complete final responses have arrived (default: wait for close). */
  readonly responses?: number
  /** Give up after this long (the result then has `closed: false`). Default 3000 ms. */
  readonly timeoutMs?: number
  /** Half-close after writing (shutdown(WR)). */
  readonly end?: boolean
  /** Methods of the requests sent, in order, so HEAD responses are parsed without a body. */
  readonly methods?: readonly string[]
  /** Resolve as soon as the text received so far satisfies this. */
  readonly until?: (text: string) => boolean
}

const CRLF2 = Buffer.from('\r\n\r\n')

function parseHead(text: string): { status: number; headers: Record<string, string> } {
  const lines = text.split('\r\n')
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(lines[0] ?? '')
  const headers: Record<string, string> = Object.create(null) as Record<string, string>
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  return { status: m === null ? 0 : Number(m[1]), headers }
}

/** Decodes a chunked body; undefined when it is not complete yet. */
function dechunk(buf: Buffer): { body: Buffer; used: number } | undefined {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = buf.indexOf('\r\n', at)
    if (eol < 0) return undefined
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16)
    if (!Number.isFinite(size)) return undefined
    if (size === 0) {
      const end = buf.indexOf(CRLF2, eol)
      if (end < 0) return undefined
      return { body: Buffer.concat(parts), used: end + 4 }
    }
    if (buf.length < eol + 2 + size + 2) return undefined
    parts.push(buf.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}

/**
 * Parses every response in `buf`; the last one may be incomplete when `ended` is true (the
 * connection closed mid-body). `methods` tells which responses answer HEAD requests.
 */
export function parseResponses(
  buf: Buffer,
  ended: boolean,
  methods: readonly string[] = [],
): RawResponse[] {
  const out: RawResponse[] = []
  let at = 0
  let final = 0
  while (at < buf.length) {
    const headEnd = buf.indexOf(CRLF2, at)
    if (headEnd < 0) break
    const { status, headers } = parseHead(buf.subarray(at, headEnd).toString('latin1'))
    const start = headEnd + 4
    const noBody =
      (status >= 100 && status < 200) ||
      status === 204 ||
      status === 304 ||
      methods[final] === 'HEAD'
    if (noBody) {
      out.push({ status, headers, body: Buffer.alloc(0), complete: true })
      at = start
      if (status >= 200) final++
      continue
    }
    final++
    if (headers['transfer-encoding']?.toLowerCase().includes('chunked') === true) {
      const chunked = dechunk(buf.subarray(start))
      if (chunked === undefined) {
        if (ended) out.push({ status, headers, body: buf.subarray(start), complete: false })
        break
      }
      out.push({ status, headers, body: chunked.body, complete: true })
      at = start + chunked.used
      continue
    }
    const cl = headers['content-length']
    if (cl !== undefined) {
      const length = Number(cl)
      if (buf.length - start < length) {
        if (ended) out.push({ status, headers, body: buf.subarray(start), complete: false })
        break
      }
      out.push({ status, headers, body: buf.subarray(start, start + length), complete: true })
      at = start + length
      continue
    }
    // Close-delimited: complete only once the connection ended.
    if (ended) out.push({ status, headers, body: buf.subarray(start), complete: true })
    break
  }
  return out
}

function finalCount(responses: readonly RawResponse[]): number {
  return responses.filter((r) => r.complete && r.status >= 200).length
}

/** Opens a connection to 127.0.0.1:`port`, ready for `rawOn`. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/**
 * Reads from `socket` until it closes, `options.responses` final responses arrived, or the
 * deadline passes; `send` is written first (a string is taken as latin1 bytes).
 */
export function rawOn(
  socket: Socket,
  send: string | Buffer | readonly (string | Buffer)[],
  options: RawOptions = {},
): Promise<RawResult> {
  const started = performance.now()
  const timeoutMs = options.timeoutMs ?? 3_000
  const methods = options.methods ?? []
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let closed = socket.destroyed
    let reset = false
    let settled = false
    const finish = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      const buf = Buffer.concat(chunks)
      const responses = parseResponses(buf, closed, methods)
      resolve({
        responses,
        statuses: responses.map((r) => r.status),
        closed,
        reset,
        text: buf.toString('latin1'),
        elapsedMs: performance.now() - started,
      })
    }
    const onData = (d: Buffer): void => {
      chunks.push(d)
      if (options.until?.(Buffer.concat(chunks).toString('latin1')) === true) {
        finish()
        return
      }
      const want = options.responses
      if (
        want !== undefined &&
        finalCount(parseResponses(Buffer.concat(chunks), false, methods)) >= want
      )
        finish()
    }
    const onClose = (): void => {
      closed = true
      finish()
    }
    const timer = setTimeout(finish, timeoutMs)
    socket.on('data', onData)
    socket.on('close', onClose)
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') reset = true
    })
    const parts = Array.isArray(send) ? send : [send]
    for (const part of parts as (string | Buffer)[]) {
      if (socket.writable)
        socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part)
    }
    if (options.end === true && socket.writable) socket.end()
  })
}

/** One raw exchange on a fresh connection; the socket is destroyed afterwards. */
export async function raw(
  port: number,
  send: string | Buffer | readonly (string | Buffer)[],
  options: RawOptions = {},
): Promise<RawResult> {
  const socket = await openSocket(port)
  try {
    return await rawOn(socket, send, options)
  } finally {
    socket.destroy()
  }
}
