/** Reads a subrequest body (JWKS, forward_auth) with a size cap, so a hostile server cannot fill memory. */
import type { Dispatcher } from 'undici'

/** Thrown when a subrequest body exceeds its cap. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`response body is larger than ${limit} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

/**
 * Collects `body` up to `limit` bytes; throws BodyTooLargeError past that (leaving the loop
 * destroys the stream).
 */
export async function readBody(
  body: Dispatcher.ResponseData['body'],
  limit: number,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > limit) throw new BodyTooLargeError(limit)
    chunks.push(buf)
  }
  return Buffer.concat(chunks, size)
}
