/**
 * A fake Docker Engine API on a unix socket in a temp dir: `GET /containers/json` (label, name
 * and status filters) and a streaming `GET /events`. Tests add and remove containers; each
 * change is announced on every open event stream, as the engine does.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A container as the fake engine lists it. */
export interface FakeContainer {
  readonly id: string
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly ip: string
  readonly privatePort: number
  running: boolean
}

export interface FakeDockerEngine {
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  readonly host: string
  readonly socketPath: string
  /** How many `GET /containers/json` were answered. */
  lists: number
  /** How many event streams are open. */
  readonly streams: number
  add(container: Omit<FakeContainer, 'running'>): void
  /** Marks a container stopped (`die`) or removes it (`destroy`). */
  remove(id: string, event?: 'die' | 'destroy'): void
  close(): Promise<void>
}

function matches(c: FakeContainer, filters: Record<string, string[]>): boolean {
  for (const label of filters['label'] ?? []) {
    const [key = '', value] = label.split('=', 2)
    if (!(key in c.labels) || (value !== undefined && c.labels[key] !== value)) return false
  }
  for (const name of filters['name'] ?? []) if (!c.name.includes(name)) return false
  const status = filters['status']
  if (status !== undefined && !status.includes(c.running ? 'running' : 'exited')) return false
  return true
}

function listed(c: FakeContainer): unknown {
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    State: c.running ? 'running' : 'exited',
    Labels: c.labels,
    Ports: [{ PrivatePort: c.privatePort, Type: 'tcp' }],
    NetworkSettings: { Networks: { bridge: { IPAddress: c.ip, Gateway: '127.0.0.1' } } },
  }
}

/** Starts the fake engine; the caller must close() it. */
export async function startDockerEngine(): Promise<FakeDockerEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'pgt-docker-'))
  const socketPath = join(dir, 'docker.sock')
  const containers = new Map<string, FakeContainer>()
  const streams = new Set<ServerResponse>()
  const announce = (c: FakeContainer, action: string): void => {
    const line = JSON.stringify({ Type: 'container', Action: action, Actor: { ID: c.id } })
    for (const res of streams) res.write(`${line}\n`)
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://docker')
    const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as Record<string, string[]>
    if (url.pathname === '/containers/json') {
      engine.lists++
      const body = [...containers.values()].filter((c) => matches(c, filters)).map(listed)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
      return
    }
    if (url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.flushHeaders()
      streams.add(res)
      res.on('close', () => streams.delete(res))
      return
    }
    res.writeHead(404).end('{"message":"page not found"}')
  })
  await new Promise<void>((resolve) => server.listen(socketPath, resolve))
  const engine: FakeDockerEngine = {
    host: `unix://${socketPath}`,
    socketPath,
    lists: 0,
    get streams() {
      return streams.size
    },
    add(container) {
      const c = { ...container, running: true }
      containers.set(c.id, c)
      announce(c, 'start')
    },
    remove(id, event = 'die') {
      const c = containers.get(id)
      if (c === undefined) return
      c.running = false
      if (event === 'destroy') containers.delete(id)
      announce(c, event)
    },
    async close() {
      for (const res of streams) res.end()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return engine
}
