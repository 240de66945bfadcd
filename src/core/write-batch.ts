/**
 * Batches a loop turn's socket writes: they go out together once the event loop has handled
 * every ready I/O event (the check phase). On loopback and in VMs the costliest part of a write
 * is waking the peer; a burst of writes wakes each peer once instead of once per write.
 *
 * Two tools, because node:http flushes a corked socket by force when a response ends:
 * `holdWrites` corks a socket until the turn ends, `endAtTurnEnd` postpones a stream's `end()`
 * (a response's) to the same moment.
 */
import type { Socket } from 'node:net'

let held: Socket[] = []
/** Something that can be ended: a ServerResponse, a Writable. */
export interface Endable {
  end(chunk?: Buffer | string): unknown
}

let ending: Endable[] = []
/** The last chunk of each stream of `ending` (undefined: none), by index. */
let lastChunks: Array<Buffer | string | undefined> = []
let scheduled = false

function flush(): void {
  scheduled = false
  // Work queued while flushing (a write callback that writes again) waits for the next turn.
  const due = ending
  const chunks = lastChunks
  const sockets = held
  ending = []
  lastChunks = []
  held = []
  for (let i = 0; i < due.length; i++) endQuietly(due[i] as Endable, chunks[i])
  for (const socket of sockets) socket.uncork()
}

/** One stream that throws on end() must not leave the rest of the batch corked. */
function endQuietly(stream: Endable, chunk: Buffer | string | undefined): void {
  try {
    if (chunk === undefined) stream.end()
    else stream.end(chunk)
  } catch (err) {
    process.emitWarning(err instanceof Error ? err : new Error(String(err)))
  }
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  setImmediate(flush)
}

/** Corks `socket` until the end of this loop turn (no-op when it is already corked). */
export function holdWrites(socket: Socket): void {
  if (socket.writableCorked !== 0) return
  socket.cork()
  held.push(socket)
  schedule()
}

/** Ends `stream` (with `chunk` as its last data) at the end of this loop turn. */
export function endAtTurnEnd(stream: Endable, chunk?: Buffer | string): void {
  ending.push(stream)
  lastChunks.push(chunk)
  schedule()
}
