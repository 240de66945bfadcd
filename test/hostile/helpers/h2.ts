/**
 * Raw-frame HTTP/2 helpers (prior-knowledge h2c): build frames byte by byte, with a minimal
 * HPACK encoder (literal fields without indexing, a few static-table entries), send them on a
 * fresh connection and read the server's frames back. No HTTP/2 library sits in between, so
 * malformed and flooding sequences reach the proxy exactly as written.
 */
import type { Socket } from 'node:net'
import { openSocket } from './raw.ts'

export const FRAME = {
  DATA: 0,
  HEADERS: 1,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const

export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const

/** One frame as read back from the server. */
export interface Frame {
  readonly type: number
  readonly flags: number
  readonly stream: number
  readonly payload: Buffer
}

export function frame(
  type: number,
  flags: number,
  stream: number,
  payload: Buffer = Buffer.alloc(0),
): Buffer {
  const head = Buffer.alloc(9)
  head.writeUIntBE(payload.length, 0, 3)
  head[3] = type
  head[4] = flags
  head.writeUInt32BE(stream & 0x7fffffff, 5)
  return Buffer.concat([head, payload])
}

export const PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  frame(FRAME.SETTINGS, 0, 0),
])

/** HPACK integer with an n-bit prefix (RFC 7541 §5.1). */
function hpackInt(value: number, prefixBits: number, first: number): Buffer {
  const max = (1 << prefixBits) - 1
  if (value < max) return Buffer.from([first | value])
  const bytes = [first | max]
  let rest = value - max
  while (rest >= 128) {
    bytes.push((rest % 128) + 128)
    rest = Math.floor(rest / 128)
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}

function hpackString(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text
  return Buffer.concat([hpackInt(bytes.length, 7, 0), bytes])
}

/** A literal header field without indexing, new name (RFC 7541 §6.2.2). */
export function literal(name: string, value: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from([0]), hpackString(name), hpackString(value)])
}

/** A literal field with incremental indexing (adds it to the dynamic table). */
export function literalIndexed(name: string, value: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x40]), hpackString(name), hpackString(value)])
}

/** An indexed field: static table 1–61, then the dynamic table from 62. */
export function indexed(index: number): Buffer {
  return hpackInt(index, 7, 0x80)
}

/** The header block of a request: method, scheme http, path, authority, then `extra` fields. */
export function requestBlock(
  method: string,
  path: string,
  authority: string,
  extra: readonly Buffer[] = [],
): Buffer {
  const m =
    method === 'GET' ? indexed(2) : method === 'POST' ? indexed(3) : literal(':method', method)
  return Buffer.concat([
    m,
    indexed(6),
    literal(':path', path),
    literal(':authority', authority),
    ...extra,
  ])
}

export function headers(
  stream: number,
  block: Buffer,
  endStream = true,
  endHeaders = true,
): Buffer {
  return frame(
    FRAME.HEADERS,
    (endStream ? FLAG.END_STREAM : 0) | (endHeaders ? FLAG.END_HEADERS : 0),
    stream,
    block,
  )
}

export function rst(stream: number, code = 8): Buffer {
  const payload = Buffer.alloc(4)
  payload.writeUInt32BE(code)
  return frame(FRAME.RST_STREAM, 0, stream, payload)
}

export function windowUpdate(stream: number, increment: number): Buffer {
  const payload = Buffer.alloc(4)
  payload.writeUInt32BE(increment)
  return frame(FRAME.WINDOW_UPDATE, 0, stream, payload)
}

/** The `:status` of a response HEADERS block when it is a static-table entry (200…500). */
export function staticStatus(block: Buffer): number | undefined {
  const statuses: Record<number, number> = {
    8: 200,
    9: 204,
    10: 206,
    11: 304,
    12: 400,
    13: 404,
    14: 500,
  }
  const first = block[0] ?? 0
  return (first & 0x80) !== 0 ? statuses[first & 0x7f] : undefined
}

/** The error code of a GOAWAY or RST_STREAM frame. */
export function errorCode(f: Frame): number {
  return f.type === FRAME.GOAWAY ? f.payload.readUInt32BE(4) : f.payload.readUInt32BE(0)
}

export interface H2Result {
  readonly frames: Frame[]
  readonly closed: boolean
  readonly goaway: Frame | undefined
}

export interface H2Options {
  readonly timeoutMs?: number
  /** Resolve once the frames read so far satisfy this. */
  readonly until?: (frames: readonly Frame[]) => boolean
  /** Do not read (the server's writes back up). */
  readonly noRead?: boolean
}

function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = []
  let at = 0
  while (buf.length - at >= 9) {
    const length = buf.readUIntBE(at, 3)
    if (buf.length - at < 9 + length) break
    frames.push({
      type: buf[at + 3] ?? 0,
      flags: buf[at + 4] ?? 0,
      stream: buf.readUInt32BE(at + 5) & 0x7fffffff,
      payload: buf.subarray(at + 9, at + 9 + length),
    })
    at += 9 + length
  }
  return { frames, rest: buf.subarray(at) }
}

/** Sends the preface and `send` on `socket`, answering the server's SETTINGS, and reads frames. */
export function h2On(
  socket: Socket,
  send: readonly Buffer[],
  options: H2Options = {},
): Promise<H2Result> {
  return new Promise((resolve) => {
    const frames: Frame[] = []
    let pending: Buffer = Buffer.alloc(0)
    let closed = socket.destroyed
    let settled = false
    const finish = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.off('data', onData)
      resolve({ frames, closed, goaway: frames.find((f) => f.type === FRAME.GOAWAY) })
    }
    const onData = (d: Buffer): void => {
      const parsed = parseFrames(Buffer.concat([pending, d]))
      pending = parsed.rest
      for (const f of parsed.frames) {
        frames.push(f)
        if (f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0 && socket.writable) {
          socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0))
        }
      }
      if (options.until?.(frames) === true) finish()
    }
    const timer = setTimeout(finish, options.timeoutMs ?? 3_000)
    socket.on('error', () => undefined)
    socket.once('close', () => {
      closed = true
      finish()
    })
    if (options.noRead === true) socket.pause()
    else socket.on('data', onData)
    for (const part of send) if (socket.writable) socket.write(part)
  })
}

/** One raw HTTP/2 exchange on a fresh connection (preface included). */
export async function h2raw(
  port: number,
  send: readonly Buffer[],
  options: H2Options = {},
): Promise<H2Result> {
  const socket = await openSocket(port)
  try {
    return await h2On(socket, [PREFACE, ...send], options)
  } finally {
    socket.destroy()
  }
}

/** True when the port speaks prior-knowledge h2c (the server answers the preface with SETTINGS). */
export async function speaksH2c(port: number): Promise<boolean> {
  const res = await h2raw(port, [], {
    timeoutMs: 2_000,
    until: (frames) => frames.some((f) => f.type === FRAME.SETTINGS),
  })
  return res.frames.some((f) => f.type === FRAME.SETTINGS)
}
