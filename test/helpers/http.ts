/**
 * A small HTTP client for tests, on node:http, because Node 20's fetch drops a custom Host.
 * Each call uses a fresh connection unless an agent is given.
 */
import {
  request as httpRequest,
  type Agent,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http'

export interface TestResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: OutgoingHttpHeaders
  readonly body?: string | Buffer
  readonly agent?: Agent | false
  readonly timeoutMs?: number
}

/** A response whose body is kept as bytes (compressed, binary or framed bodies). */
export interface RawTestResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** Sends one request to `base` + `path` (base like `http://127.0.0.1:1234`). */
export async function request(
  base: string,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  const res = await requestRaw(base, path, options)
  return { status: res.status, headers: res.headers, body: res.body.toString() }
}

/** Like `request`, but leaves the body as bytes. */
export function requestRaw(
  base: string,
  path: string,
  options: RequestOptions = {},
): Promise<RawTestResponse> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent ?? false,
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(options.body)
  })
}
