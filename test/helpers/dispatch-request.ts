/**
 * Sends one request through a backend pool's `dispatch` (either client: upstream/h1 or undici)
 * and collects the response, for tests that exercise pools directly.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { UpstreamDispatcher } from '../../src/upstream/types.ts'

/** One collected response. */
export interface DispatchedResponse {
  readonly statusCode: number
  readonly headers: IncomingHttpHeaders
  readonly trailers: IncomingHttpHeaders
  readonly body: { text(): Promise<string> }
}

/** What to send. */
export interface DispatchedRequest {
  readonly method: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: Readable | null
}

/**
 * Resolves with the response once its head arrived (the body is read by `body.text()`);
 * rejects with the pool's error (undici-compatible `code`).
 */
export function dispatchRequest(
  pool: UpstreamDispatcher,
  request: DispatchedRequest,
): Promise<DispatchedResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let bodyDone: (text: string) => void = () => undefined
    let bodyFailed: (err: Error) => void = () => undefined
    const text = new Promise<string>((res, rej) => {
      bodyDone = res
      bodyFailed = rej
    })
    // Keeps an unread body's rejection from being reported as unhandled.
    text.catch(() => undefined)
    let started = false
    let trailers: IncomingHttpHeaders = {}
    const handler: Dispatcher.DispatchHandler = {
      // undici recognises a new-style handler by this method.
      onRequestStart() {},
      onResponseStart(_controller, statusCode, headers) {
        started = true
        resolve({
          statusCode,
          headers: headers,
          get trailers() {
            return trailers
          },
          body: { text: () => text },
        })
      },
      onResponseData(_controller, chunk) {
        chunks.push(chunk)
      },
      onResponseEnd(_controller, received) {
        trailers = received
        bodyDone(Buffer.concat(chunks).toString())
      },
      onResponseError(_controller, err) {
        if (started) bodyFailed(err)
        else reject(err)
      },
    }
    pool.dispatch(
      {
        method: request.method,
        path: request.path,
        headers: request.headers ?? {},
        body: request.body ?? null,
      },
      handler,
    )
  })
}
