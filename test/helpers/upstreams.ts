/** Real upstream servers on 127.0.0.1:0 for tests: echo, slow, named, and a closed port. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { once } from 'node:events'

export interface TestUpstream {
  readonly server: Server
  readonly port: number
  readonly addr: string
  /** Requests seen, in order. */
  readonly seen: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }>
  close(): Promise<void>
}

/** Starts an HTTP server; `handler` defaults to an echo of method, url and a name. */
export async function startUpstream(
  handler?: (req: IncomingMessage, res: ServerResponse) => void,
  name = 'upstream',
): Promise<TestUpstream> {
  const seen: TestUpstream['seen'] = []
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    if (handler !== undefined) {
      handler(req, res)
      return
    }
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'text/plain')
      res.setHeader('x-upstream', name)
      res.end(`${name} ${req.method} ${req.url}`)
    })
  })
  server.keepAliveTimeout = 30_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    addr: `127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A port nothing listens on (bound then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
