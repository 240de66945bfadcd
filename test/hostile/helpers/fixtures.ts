/**
 * Smaller fixtures of the hostile suite: a connect-timeout blackhole (Python's `listen(0)`
 * without `accept`, its backlog pre-filled: Node accepts on its own and cannot do this), a
 * WebSocket echo upstream, and a port nothing listens on.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

export interface Closable {
  readonly port: number
  readonly addr: string
  close(): Promise<void>
}

const BLACKHOLE = `
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)
fill = []
for _ in range(8):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(s.getsockname())
    except BlockingIOError: pass
    fill.append(c)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`

/** A listener whose connects hang in SYN-SENT; undefined (with a reason) without Python. */
export async function startBlackhole(): Promise<Closable | string> {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
  let child: ChildProcess
  try {
    child = spawn(python, ['-c', BLACKHOLE], { stdio: ['pipe', 'pipe', 'ignore'] })
  } catch (err) {
    return `python3 not available: ${String(err)}`
  }
  const port = await new Promise<number>((resolve) => {
    child.once('error', () => resolve(0))
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
  })
  if (port === 0) return 'python3 not available'
  return {
    port,
    addr: `127.0.0.1:${port}`,
    close: async () => {
      child.kill('SIGKILL')
      if (child.exitCode === null) await once(child, 'exit')
    },
  }
}

/** A WebSocket echo server (`die` makes it drop the connection); plain HTTP gets `200 plain`. */
export async function startWsEcho(): Promise<Closable & { upgrades(): number; clients(): number }> {
  const server: Server = createHttpServer((_req, res) => res.end('plain'))
  const wss = new WebSocketServer({ server, maxPayload: 1024 * 1024 })
  let upgrades = 0
  wss.on('connection', (ws) => {
    upgrades++
    ws.on('message', (data: Buffer, binary) => {
      if (!binary && data.toString() === 'die') ws.terminate()
      else ws.send(data, { binary })
    })
    ws.on('error', () => ws.terminate())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    port,
    addr: `127.0.0.1:${port}`,
    upgrades: () => upgrades,
    clients: () => wss.clients.size,
    close: async () => {
      for (const client of wss.clients) client.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A port of 127.0.0.1 that nothing listens on. */
export async function unusedPort(): Promise<number> {
  const server = createHttpServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
