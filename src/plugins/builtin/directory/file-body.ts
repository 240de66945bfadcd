/**
 * File bodies: small files (or ranges) are read in one call; larger ones stream from disk, and
 * the stream fails if the file delivers fewer bytes than announced (it shrank while being sent,
 * hostile-catalogue G8), so the proxy cuts the connection instead of leaving the client waiting.
 */
import { close, createReadStream, open, read } from 'node:fs'
import { Transform, type Readable } from 'node:stream'

/** Reads `length` bytes at `start`; resolves to fewer when the file is shorter now. */
export function readSlice(path: string, start: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    open(path, 'r', (err, fd) => {
      if (err !== null) {
        reject(err)
        return
      }
      const buffer = Buffer.allocUnsafe(length)
      let filled = 0
      const finish = (error: Error | null): void => {
        close(fd, () => undefined)
        if (error !== null) reject(error)
        else resolve(filled === length ? buffer : buffer.subarray(0, filled))
      }
      const step = (): void => {
        if (filled >= length) {
          finish(null)
          return
        }
        read(fd, buffer, filled, length - filled, start + filled, (e, n) => {
          if (e !== null) finish(e)
          else if (n === 0) finish(null)
          else {
            filled += n
            step()
          }
        })
      }
      step()
    })
  })
}

/** A stream of bytes `start..end` (inclusive) that errors if the file ends early. */
export function fileStream(
  path: string,
  start: number,
  end: number,
  readSize: number,
): () => Readable {
  return () => {
    const expected = end - start + 1
    let seen = 0
    const check = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        seen += chunk.length
        done(null, chunk)
      },
      flush(done) {
        done(seen === expected ? null : new Error(`file shrank: sent ${seen} of ${expected} bytes`))
      },
    })
    const source = createReadStream(path, { start, end, highWaterMark: readSize })
    // pipe, not pipeline: Node 20's pipeline builds an AbortError (with a stack) per call.
    source.once('error', (err) => check.destroy(err))
    check.once('close', () => source.destroy())
    return source.pipe(check)
  }
}
