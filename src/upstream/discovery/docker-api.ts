/**
 * The few Docker Engine API calls docker discovery needs, over the engine's unix socket (or
 * `tcp://`), found as the docker CLI finds it: `DOCKER_HOST`, else `/var/run/docker.sock`.
 */
import { request, type RequestOptions } from 'node:http'

/** Where the engine listens. */
export type DockerEndpoint =
  { readonly socketPath: string } | { readonly host: string; readonly port: number }

/** The endpoint named by `DOCKER_HOST` (`unix:///path`, `tcp://host:port`), or the default. */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): DockerEndpoint {
  const value = env['DOCKER_HOST']?.trim() ?? ''
  if (value === '') return { socketPath: '/var/run/docker.sock' }
  if (value.startsWith('unix://')) return { socketPath: value.slice('unix://'.length) }
  const url = new URL(value.replace(/^tcp:\/\//, 'http://'))
  return { host: url.hostname, port: Number(url.port || 2375) }
}

/** One port of a container as `GET /containers/json` lists it. */
export interface DockerPort {
  readonly PrivatePort?: number
  readonly PublicPort?: number
  readonly Type?: string
  readonly IP?: string
}

/** The parts of a container of `GET /containers/json` that discovery reads. */
export interface DockerContainer {
  readonly Id?: string
  readonly Names?: readonly string[]
  readonly State?: string
  readonly Ports?: readonly DockerPort[]
  readonly NetworkSettings?: {
    readonly Networks?: Readonly<Record<string, { IPAddress?: string; Gateway?: string }>>
  }
}

function options(endpoint: DockerEndpoint, path: string): RequestOptions {
  return { ...endpoint, path, method: 'GET', headers: { host: 'docker' } }
}

/** `GET /containers/json` with `filters` (Docker's JSON filter map). */
export function listContainers(
  endpoint: DockerEndpoint,
  filters: Readonly<Record<string, readonly string[]>>,
  timeoutMs = 5000,
): Promise<DockerContainer[]> {
  const path = `/containers/json?filters=${encodeURIComponent(JSON.stringify(filters))}`
  return new Promise((resolve, reject) => {
    const req = request(options(endpoint, path), (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if (res.statusCode !== 200) {
          reject(new Error(`docker: GET /containers/json: ${res.statusCode} ${text.slice(0, 200)}`))
          return
        }
        try {
          const list = JSON.parse(text) as unknown
          resolve(Array.isArray(list) ? (list as DockerContainer[]) : [])
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      })
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error('docker: request timed out')))
    req.on('error', reject)
    req.end()
  })
}

/** Container events that change what discovery finds (spec §3.1). */
export const DOCKER_EVENTS = [
  'start',
  'stop',
  'die',
  'kill',
  'pause',
  'unpause',
  'destroy',
  'health_status',
] as const

/**
 * Follows `GET /events` for container events, calling `onEvent` for each line; resolves when
 * the stream ends (engine restart) or `signal` aborts, rejects when it cannot connect.
 */
export function followEvents(
  endpoint: DockerEndpoint,
  onEvent: () => void,
  signal: AbortSignal,
  onOpen: () => void = () => undefined,
): Promise<void> {
  const filters = { type: ['container'], event: [...DOCKER_EVENTS] }
  const path = `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`
  return new Promise((resolve, reject) => {
    const req = request({ ...options(endpoint, path), signal }, (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        reject(new Error(`docker: GET /events: ${res.statusCode}`))
        return
      }
      onOpen()
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        // One JSON object per line; which container it names does not matter: re-list.
        if (chunk.includes('\n') || chunk.trim() !== '') onEvent()
      })
      res.on('end', () => resolve())
      res.on('error', () => resolve())
    })
    req.on('error', (err) => (signal.aborted ? resolve() : reject(err)))
    req.end()
  })
}
