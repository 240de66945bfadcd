/**
 * Docker discovery (spec §3.1): each `addrs` entry is `label[:port][ weight]`; the backends are
 * the running containers with that label (`key` or `key=value`; a bare word that matches no
 * label is tried as a container name). Refreshed on every container event of the engine and
 * every `update_frequency`; a failed refresh keeps the last backends and notifies
 * `service_discover_fail` once per outage.
 */
import { ConfigError } from '../../core/errors.ts'
import { logger } from '../../core/logger.ts'
import { emitNotification } from '../../core/notifications.ts'
import type { BackendEntry } from '../backend.ts'
import {
  dockerEndpoint,
  followEvents,
  listContainers,
  type DockerContainer,
  type DockerEndpoint,
} from './docker-api.ts'

const log = logger.child({ module: 'docker' })
const MIN_BACKOFF_MS = 500
const MAX_BACKOFF_MS = 10_000
/** Events come in bursts (stop + die + destroy): one re-list after the burst. */
const DEBOUNCE_MS = 50

/** One `addrs` entry of a docker upstream. */
export interface DockerSelector {
  readonly label: string
  readonly port: number | undefined
  readonly weight: number
}

/** Parses `label[:port][ weight]` entries; throws ConfigError naming `upstreams.<name>.addrs`. */
export function parseDockerAddrs(addrs: readonly string[], name: string): DockerSelector[] {
  const path = `upstreams.${name}.addrs`
  if (addrs.length === 0) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, ['addrs must not be empty'])
  }
  return addrs.map((entry) => {
    const [target = '', weightText, ...rest] = entry.trim().split(/\s+/)
    const weight = weightText === undefined ? 1 : Number(weightText)
    const m = /^(.+?)(?::(\d{1,5}))?$/.exec(target)
    const port = m?.[2] === undefined ? undefined : Number(m[2])
    if (
      m === null ||
      rest.length > 0 ||
      !Number.isInteger(weight) ||
      weight < 1 ||
      (port !== undefined && (port < 1 || port > 65535))
    ) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [
        `"${entry}" is not "label[:port][ weight]"`,
      ])
    }
    return { label: m[1] ?? '', port, weight }
  })
}

/** The address of a container for `selector`, or undefined when it has none usable. */
export function containerAddress(
  container: DockerContainer,
  port: number | undefined,
): { host: string; port: number } | undefined {
  const networks = Object.values(container.NetworkSettings?.Networks ?? {})
  const net = networks.find((n) => (n.IPAddress ?? '') !== '')
  const ip = net?.IPAddress
  if (port !== undefined) return ip === undefined ? undefined : { host: ip, port }
  const tcp = (container.Ports ?? [])
    .filter((p) => (p.Type ?? 'tcp') === 'tcp' && p.PrivatePort !== undefined)
    .sort((a, b) => (a.PrivatePort ?? 0) - (b.PrivatePort ?? 0))
  const first = tcp[0]
  if (first === undefined) return undefined
  if (first.PublicPort !== undefined && first.PublicPort > 0) {
    // Published: reach it through the host side, as Pingap (the network gateway).
    const bound = first.IP !== undefined && !['', '0.0.0.0', '::'].includes(first.IP)
    const host = bound ? first.IP : net?.Gateway || '127.0.0.1'
    return { host, port: first.PublicPort }
  }
  return ip === undefined ? undefined : { host: ip, port: first.PrivatePort! }
}

async function containersFor(endpoint: DockerEndpoint, label: string): Promise<DockerContainer[]> {
  const running = ['running']
  const byLabel = await listContainers(endpoint, { label: [label], status: running })
  if (byLabel.length > 0 || label.includes('=')) return byLabel
  return listContainers(endpoint, { name: [label], status: running })
}

/** Lists the containers of every selector and turns them into backend entries. */
export async function discoverContainers(
  endpoint: DockerEndpoint,
  selectors: readonly DockerSelector[],
): Promise<BackendEntry[]> {
  const lists = await Promise.all(selectors.map((s) => containersFor(endpoint, s.label)))
  const out: BackendEntry[] = []
  lists.forEach((containers, i) => {
    const selector = selectors[i]!
    for (const container of containers) {
      const address = containerAddress(container, selector.port)
      if (address !== undefined) out.push({ ...address, weight: selector.weight })
    }
  })
  return out.sort((a, b) => `${a.host}:${a.port}`.localeCompare(`${b.host}:${b.port}`))
}

function sameEntries(a: readonly BackendEntry[], b: readonly BackendEntry[]): boolean {
  return (
    a.length === b.length &&
    a.every((e, i) => e.host === b[i]?.host && e.port === b[i].port && e.weight === b[i].weight)
  )
}

/** Follows the containers of an upstream's selectors and reports each change. */
export class DockerDiscovery {
  readonly #selectors: readonly DockerSelector[]
  readonly #endpoint: DockerEndpoint
  readonly #frequencyMs: number
  readonly #onChange: (entries: readonly BackendEntry[]) => void
  #entries: readonly BackendEntry[]
  #failing = false
  #timer: NodeJS.Timeout | undefined
  #debounce: NodeJS.Timeout | undefined
  #events: AbortController | undefined
  #refreshing: Promise<void> | undefined
  #again = false

  /** `seed` (the previous version's containers) is used until the first refresh. */
  constructor(
    selectors: readonly DockerSelector[],
    frequencyMs: number,
    onChange: (entries: readonly BackendEntry[]) => void,
    seed?: readonly BackendEntry[],
    endpoint: DockerEndpoint = dockerEndpoint(),
  ) {
    this.#selectors = selectors
    this.#frequencyMs = frequencyMs
    this.#onChange = onChange
    this.#entries = seed ?? []
    this.#endpoint = endpoint
  }

  /** The backends found by the latest successful refresh. */
  get entries(): readonly BackendEntry[] {
    return this.#entries
  }

  /** Lists now, then on every container event and every `update_frequency`, until stop(). */
  start(): void {
    if (this.#events !== undefined) return
    this.#events = new AbortController()
    void this.#follow(this.#events.signal)
    this.#timer = setInterval(() => void this.refresh(), this.#frequencyMs)
    this.#timer.unref()
  }

  stop(): void {
    this.#events?.abort()
    clearInterval(this.#timer)
    clearTimeout(this.#debounce)
  }

  /** Lists the containers once (calls made meanwhile share it) and reports a change. */
  refresh(): Promise<void> {
    if (this.#refreshing !== undefined) {
      // A list in flight may predate the event that asks: list once more after it.
      this.#again = true
      return this.#refreshing
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false
        await this.#list()
      } while (this.#again)
    })().finally(() => (this.#refreshing = undefined))
    return this.#refreshing
  }

  async #list(): Promise<void> {
    let next: BackendEntry[]
    try {
      next = await discoverContainers(this.#endpoint, this.#selectors)
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      log.warn('docker discovery failed, keeping the last backends', { error: reason })
      if (!this.#failing) {
        this.#failing = true
        emitNotification({
          category: 'service_discover_fail',
          level: 'warn',
          message: `docker discovery failed: ${reason}`,
        })
      }
      return
    }
    this.#failing = false
    if (sameEntries(next, this.#entries) || this.#events?.signal.aborted === true) return
    this.#entries = next
    this.#onChange(next)
  }

  // Each (re)connection of the event stream re-lists, so nothing missed while away is lost.
  async #follow(signal: AbortSignal): Promise<void> {
    let backoff = MIN_BACKOFF_MS
    while (!signal.aborted) {
      try {
        await followEvents(
          this.#endpoint,
          () => this.#soon(),
          signal,
          () => {
            backoff = MIN_BACKOFF_MS
            void this.refresh()
          },
        )
      } catch (err) {
        void this.refresh()
        log.debug('docker events unavailable; retrying', { error: String(err), retry_ms: backoff })
      }
      if (signal.aborted) return
      await new Promise((resolve) => setTimeout(resolve, backoff).unref())
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
    }
  }

  #soon(): void {
    clearTimeout(this.#debounce)
    this.#debounce = setTimeout(() => void this.refresh(), DEBOUNCE_MS)
  }
}
