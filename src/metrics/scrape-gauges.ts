/**
 * Gauges read at scrape time instead of on the request path: the process (Pingap's
 * `pingap_memory`, `pingap_fd_count`, `pingap_tcp_count`, `pingap_tcp6_count`), the client
 * connections, and the state of every upstream's backends (pool connections, health, backend
 * stats), which the composition root supplies through an {@link UpstreamSource}.
 */
import { readdir, readFile } from 'node:fs/promises'
import { Gauge, type Registry } from 'prom-client'
import { traffic } from '../core/process-stats.ts'

/** One backend as the metrics see it. */
export interface BackendState {
  readonly address: string
  readonly healthy: boolean
  /** Open connections in the backend's pool. */
  readonly connected: number
  /** Requests in flight on the backend's pool. */
  readonly running: number
  /** Backend stats (spec §3.6), when the upstream keeps them. */
  readonly failureRate?: number
  readonly requests?: number
  /** 0 closed, 1 open, 2 half-open (Pingap's codes). */
  readonly circuitState?: number
}

/** One upstream as the metrics see it. */
export interface UpstreamState {
  readonly name: string
  readonly backends: readonly BackendState[]
}

/** Lists the upstreams of the version being served (called once per scrape). */
export type UpstreamSource = () => Iterable<UpstreamState>

const MB = 1024 * 1024

/** Counts the socket entries of a /proc/net table (undefined off Linux). */
async function procNetEntries(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'latin1').catch(() => undefined)
  if (text === undefined) return undefined
  let lines = 0
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++
  return Math.max(0, lines - 1) // the first line is the column header
}

/** Registers the process gauges. */
export function registerProcessGauges(registry: Registry): void {
  const registers = [registry]
  new Gauge({
    name: 'pingap_memory',
    help: 'Resident set size (MB)',
    registers,
    collect() {
      this.set(Math.round(process.memoryUsage.rss() / MB))
    },
  })
  new Gauge({
    name: 'pingap_fd_count',
    help: 'Open file descriptors of the process',
    registers,
    async collect() {
      const fds = await readdir('/proc/self/fd').catch(() => undefined)
      if (fds !== undefined) this.set(fds.length)
    },
  })
  new Gauge({
    name: 'pingap_tcp_count',
    help: 'IPv4 TCP sockets in /proc/net/tcp (the network namespace)',
    registers,
    // Every process of a cluster reads the same namespace-wide table: not a per-process sum.
    aggregator: 'max',
    async collect() {
      const n = await procNetEntries('/proc/net/tcp')
      if (n !== undefined) this.set(n)
    },
  })
  new Gauge({
    name: 'pingap_tcp6_count',
    help: 'IPv6 TCP sockets in /proc/net/tcp6 (the network namespace)',
    registers,
    aggregator: 'max',
    async collect() {
      const n = await procNetEntries('/proc/net/tcp6')
      if (n !== undefined) this.set(n)
    },
  })
  new Gauge({
    name: 'pingap_connections',
    help: 'Open client connections',
    registers,
    collect() {
      this.set(traffic.connections)
    },
  })
}

/** Registers the per-upstream gauges, filled from `source()` at each scrape. */
export function registerUpstreamGauges(
  registry: Registry,
  source: () => UpstreamSource | undefined,
): void {
  const registers = [registry]
  // How a cluster combines the workers' values: health is the primary's verdict, the same in
  // every worker; breaker state and failure rate are per worker, the worst one is shown.
  const perBackend = (
    name: string,
    help: string,
    pick: (b: BackendState) => number | undefined,
    aggregator: 'sum' | 'max' | 'min' = 'sum',
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['upstream', 'backend'],
      registers,
      aggregator,
      collect() {
        this.reset()
        for (const upstream of source()?.() ?? []) {
          for (const b of upstream.backends) {
            const value = pick(b)
            if (value !== undefined)
              this.set({ upstream: upstream.name, backend: b.address }, value)
          }
        }
      },
    })
  const perUpstream = (name: string, help: string, pick: (b: BackendState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['upstream'],
      registers,
      collect() {
        this.reset()
        for (const upstream of source()?.() ?? []) {
          let total = 0
          for (const b of upstream.backends) total += pick(b)
          this.set({ upstream: upstream.name }, total)
        }
      },
    })
  perUpstream('pingap_upstream_connections', 'Open connections to the upstream', (b) => b.connected)
  perUpstream(
    'pingap_upstream_connections_current',
    'Requests in flight to the upstream',
    (b) => b.running,
  )
  perBackend(
    'pingap_upstream_backend_healthy',
    '1 when the backend passes its health check',
    (b) => (b.healthy ? 1 : 0),
    'min',
  )
  perBackend(
    'pingap_upstream_backend_failure_rate',
    'Failure rate of the backend in its stats window (%)',
    (b) => b.failureRate,
    'max',
  )
  perBackend(
    'pingap_upstream_backend_requests',
    'Requests to the backend in its stats window',
    (b) => b.requests,
  )
  perBackend(
    'pingap_upstream_backend_circuit_state',
    'Circuit breaker state: 0 closed, 1 open, 2 half-open',
    (b) => b.circuitState,
    'max',
  )
}
