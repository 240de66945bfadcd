/**
 * Holds a socket's writes until the event loop has handled every ready I/O event, then
 * flushes all held sockets together. On loopback and in VMs the costliest part of a write
 * is waking the peer; a burst of writes wakes each peer once instead of once per write.
 */
import type { Socket } from 'node:net'

const held: Socket[] = []

function flush(): void {
  // Sockets held while flushing (a write callback that writes again) wait for the next turn.
  const list = held.splice(0)
  for (const socket of list) socket.uncork()
}

/** Corks `socket` until the check phase of this loop turn (no-op when already held/corked). */
export function holdWrites(socket: Socket): void {
  if (socket.writableCorked !== 0) return
  socket.cork()
  if (held.push(socket) === 1) setImmediate(flush)
}
