/**
 * Per-connection protections of an HTTP/1 listener (reliability/hostile-catalogue.md A20, D3,
 * D4):
 * - pipelined requests run one after the other: Node parses and emits every request of a
 *   pipelined burst at once, which for a proxy would turn one connection into thousands of
 *   concurrent upstream requests. A request that arrives while another is in flight waits its
 *   turn; a client with more than MAX_PIPELINED requests waiting is flooding and is cut off;
 * - the socket idle timer (`server.timeout`) cuts a connection off when it is idle between
 *   requests, or when a response is in flight but the client has stopped reading it (write-idle,
 *   nginx `send_timeout`). A request waiting on its upstream is left alone: upstream timeouts
 *   govern that.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { holdResponseWrites } from './hold-writes.ts'
import { onResponseClose } from './response-close.ts'

const GATE = Symbol('pingap.gate')

interface Gate {
  /** A response is in flight on this connection. */
  busy: boolean
  /** The in-flight response. */
  res: ServerResponse | undefined
  /** Requests parsed while another was in flight, in arrival order. */
  readonly queue: Array<() => void>
  /** Ends the in-flight response's turn: one function per connection, not one per request. */
  readonly release: () => void
}

type GatedSocket = Socket & { [GATE]?: Gate }

/**
 * Most requests one connection may have waiting behind the one in flight. Browsers do not
 * pipeline and benchmark tools pipeline a few dozen; a client past this is flooding.
 */
export const MAX_PIPELINED = 64

function release(gate: Gate): void {
  gate.busy = false
  gate.res = undefined
  gate.queue.shift()?.()
}

/** What answers one request of the connection. */
type Serve = (req: IncomingMessage, res: ServerResponse) => void

function start(gate: Gate, req: IncomingMessage, res: ServerResponse, serve: Serve): void {
  gate.busy = true
  gate.res = res
  holdResponseWrites(res)
  onResponseClose(res, gate.release)
  serve(req, res)
}

function gateOf(socket: GatedSocket): Gate {
  let gate = socket[GATE]
  if (gate === undefined) {
    const created: Gate = {
      busy: false,
      res: undefined,
      queue: [],
      release: () => release(created),
    }
    // Requests still queued when the client goes away are never run.
    socket.once('close', () => (created.queue.length = 0))
    socket[GATE] = created
    gate = created
  }
  return gate
}

/** Runs `serve` now, or once every earlier request of this connection has been answered. */
export function inOrder(req: IncomingMessage, res: ServerResponse, serve: Serve): void {
  const socket = req.socket as GatedSocket
  // Node keeps parsing the rest of a read buffer after a flood closed the connection.
  if (socket.destroyed) return
  const gate = gateOf(socket)
  if (!gate.busy) {
    start(gate, req, res, serve)
    return
  }
  if (gate.queue.length >= MAX_PIPELINED) {
    socket.destroy()
    return
  }
  gate.queue.push(() => start(gate, req, res, serve))
}

/** True while a response is being produced on `socket`. */
export function isBusy(socket: Socket): boolean {
  return (socket as GatedSocket)[GATE]?.busy === true
}

/** True once response bytes went out on `socket` (so a parse error must not write any). */
export function responseStarted(socket: Socket): boolean {
  return (socket as GatedSocket)[GATE]?.res?.headersSent === true
}

/**
 * The server's `'timeout'` listener (socket idle for `server.timeout` ms): closes idle
 * connections and connections whose client stopped reading a response; keeps connections whose
 * request is waiting for its upstream.
 */
export function onSocketTimeout(socket: Socket): void {
  if (!isBusy(socket) || socket.writableLength > 0) socket.destroy()
}
