/**
 * Batches a response's writes with the other writes of this loop turn (core/write-batch.ts).
 * Only HTTP/1 responses own their socket; an HTTP/2 stream shares its session's socket, which
 * the http2 module flushes itself.
 */
import type { ServerResponse } from 'node:http'
import { holdWrites } from '../core/write-batch.ts'

/** Holds the writes of `res` until the end of this loop turn. */
export function holdResponseWrites(res: ServerResponse): void {
  const socket = res.socket
  if (socket !== null && res.req.httpVersionMajor === 1) holdWrites(socket)
}
