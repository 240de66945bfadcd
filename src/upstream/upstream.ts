/**
 * A compiled `[upstreams.<name>]`. Construction is pure (no socket, timer or DNS query; undici
 * pools connect lazily), so the snapshot build and `-t` can create upstreams freely; `start()`
 * starts DNS discovery and `close()` closes the pools once their requests finish.
 */
import { isIP } from 'node:net'
import type { BasicConf, UpstreamConf } from '../config/types.ts'
import type { RequestContext } from '../core/context.ts'
import { ConfigError } from '../core/errors.ts'
import { hashConfig } from '../core/hash.ts'
import { logger } from '../core/logger.ts'
import { assertUsableIp, formatAddress, parseBackendEntries, type BackendEntry } from './backend.ts'
import { buildBackends } from './backend-set.ts'
import {
  BREAKER_STATE_CODE,
  breakerSettings,
  CircuitBreaker,
  type BreakerSettings,
  type BreakerState,
} from './circuit-breaker.ts'
import { DnsDiscovery, type ResolvedHosts } from './discovery/dns.ts'
import { DockerDiscovery, parseDockerAddrs } from './discovery/docker.ts'
import { discoveryMode, dnsOptions, dockerFrequency } from './discovery/mode.ts'
import { parseHealthCheck } from './health/parse.ts'
import { LruMap } from './lru.ts'
import { DEFAULT_POOL_SIZE, poolSettings, upstreamOptions, type PoolSettings } from './options.ts'
import { createPool, originFor } from './pool.ts'
import { createSelector } from './selectors/index.ts'
import type { Backend, BackendStatsView, Selector, Upstream, UpstreamOptions } from './types.ts'

const log = logger.child({ module: 'upstream' })

/** Most request hosts a transparent upstream keeps a pool for; the least recent is closed. */
export const TRANSPARENT_POOL_LIMIT = 1000

function checkLimits(conf: UpstreamConf, name: string): void {
  if (conf.max_h2_streams !== undefined && conf.max_h2_streams < 1) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', `upstreams.${name}.max_h2_streams`, [
      'max_h2_streams must be greater than 0',
    ])
  }
  if (conf.tcp_probe_count !== undefined && conf.tcp_probe_count > 16) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', `upstreams.${name}.tcp_probe_count`, [
      'tcp_probe_count must be at most 16',
    ])
  }
}

class PooledUpstream implements Upstream {
  readonly name: string
  readonly hash: string
  readonly options: UpstreamOptions
  readonly transparent: boolean
  readonly #settings: PoolSettings
  readonly #entries: readonly BackendEntry[]
  readonly #selector: Selector
  readonly #dns: DnsDiscovery | undefined
  readonly #docker: DockerDiscovery | undefined
  readonly #hostPools: LruMap<Backend>
  /** Pools closed while running (DNS removals, LRU evictions); close() waits for them. */
  readonly #retiring = new Set<Promise<void>>()
  #backends: readonly Backend[] = []
  #closing: Promise<void> | undefined
  readonly #breakerSettings: BreakerSettings | undefined
  /** Stats and breaker per backend address, created on the first report. */
  readonly #breakers = new Map<string, CircuitBreaker>()
  /** Addresses whose breaker is not closed: pick() consults breakers only while one is. */
  readonly #tripped = new Set<string>()

  constructor(name: string, conf: UpstreamConf, basic: BasicConf, previous?: Upstream) {
    this.name = name
    this.options = upstreamOptions(conf, name)
    this.#settings = poolSettings(conf, basic, this.options, name)
    this.#selector = createSelector(conf.algo, `upstreams.${name}.algo`)
    parseHealthCheck(conf.health_check, `upstreams.${name}.health_check`)
    checkLimits(conf, name)
    this.#breakerSettings = breakerSettings(conf, name)
    this.hash = hashConfig({
      name,
      conf,
      poolSize: basic.upstream_keepalive_pool_size ?? DEFAULT_POOL_SIZE,
    })
    this.#hostPools = new LruMap(TRANSPARENT_POOL_LIMIT, (b) => this.#retire(b))
    const transparent = conf.discovery?.trim().toLowerCase() === 'transparent'
    // Docker addrs are container selectors, not addresses (discovery/docker.ts).
    const docker = conf.discovery?.trim().toLowerCase() === 'docker'
    if (transparent && conf.addrs.length === 0) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `upstreams.${name}.addrs`, [
        'addrs must not be empty',
      ])
    }
    // A transparent upstream ignores the content of addrs (spec §3.1).
    this.#entries =
      transparent || docker ? [] : parseBackendEntries(conf.addrs, this.options.tls, name)
    const mode = transparent ? 'transparent' : discoveryMode(conf, this.#entries, name)
    this.transparent = mode === 'transparent'
    if (mode === 'static') {
      for (const entry of this.#entries) assertUsableIp(entry, `upstreams.${name}.addrs`)
    }
    if (mode === 'dns') {
      const hosts = this.#entries.filter((e) => isIP(e.host) === 0).map((e) => e.host)
      const seed = previous instanceof PooledUpstream ? previous.#dns?.resolved : undefined
      this.#dns = new DnsDiscovery(hosts, dnsOptions(conf, name), (r) => this.#rebuild(r), seed)
    }
    if (mode === 'docker') {
      const seed = previous instanceof PooledUpstream ? previous.#docker?.entries : undefined
      const selectors = parseDockerAddrs(conf.addrs, name)
      const onChange = (): void => this.#rebuild(new Map())
      this.#docker = new DockerDiscovery(selectors, dockerFrequency(conf, name), onChange, seed)
    }
    this.#backends = buildBackends(this.#allEntries(), this.#dns?.resolved, new Map(), this.#make)
    this.#carryHealth(previous)
  }

  get backends(): readonly Backend[] {
    return this.#backends
  }

  pick(ctx: RequestContext, exclude?: ReadonlySet<Backend>): Backend | undefined {
    if (this.transparent) {
      const backend = this.backendFor(ctx.host)
      return exclude?.has(backend) === true ? undefined : backend
    }
    if (this.#tripped.size === 0) return this.#selector.select(this.#backends, ctx, exclude)
    const now = performance.now()
    const picked = this.#selector.select(this.#backends, ctx, this.#withTripped(exclude, now))
    if (picked !== undefined) this.#breakers.get(picked.address)?.picked(now)
    return picked
  }

  report(backend: Backend, status: number): void {
    const settings = this.#breakerSettings
    if (settings === undefined) return
    let breaker = this.#breakers.get(backend.address)
    if (breaker === undefined) {
      const address = backend.address
      breaker = new CircuitBreaker(settings, (state) => this.#breakerChanged(address, state))
      this.#breakers.set(address, breaker)
    }
    breaker.report(status, performance.now())
  }

  backendStats(): BackendStatsView[] {
    const now = performance.now()
    return [...this.#breakers].map(([address, breaker]) => ({
      address,
      state: BREAKER_STATE_CODE[breaker.state(now)],
      failurePercent: breaker.stats.failurePercent(now),
      requests: breaker.stats.requests(now),
    }))
  }

  /** `exclude` plus every backend whose breaker refuses a request now. */
  #withTripped(exclude: ReadonlySet<Backend> | undefined, now: number): ReadonlySet<Backend> {
    const out = new Set(exclude)
    for (const backend of this.#backends) {
      if (!this.#tripped.has(backend.address)) continue
      if (this.#breakers.get(backend.address)?.admits(now) === false) out.add(backend)
    }
    return out
  }

  #breakerChanged(address: string, state: BreakerState): void {
    if (state === 'closed') this.#tripped.delete(address)
    else this.#tripped.add(address)
    log.warn('circuit breaker state changed', { upstream: this.name, backend: address, state })
  }

  backendFor(host: string): Backend {
    const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
    const port = this.options.tls ? 443 : 80
    return this.#hostPools.getOrCreate(formatAddress(bare, port), () => {
      // `sni = "$host"` sends the request host; an IP literal gets no SNI at all.
      const sni =
        this.options.sni === '$host' ? (isIP(bare) === 0 ? bare : undefined) : this.options.sni
      return this.#makeBackend(bare, port, 1, sni)
    })
  }

  setHealthy(address: string, healthy: boolean): void {
    for (const backend of this.#backends) {
      if (backend.address === address) backend.healthy = healthy
    }
  }

  start(): void {
    if (this.#closing !== undefined) return
    this.#dns?.start()
    this.#docker?.start()
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeAll()
    return this.#closing
  }

  async #closeAll(): Promise<void> {
    this.#dns?.stop()
    this.#docker?.stop()
    const pools = [...this.#backends, ...this.#hostPools.values()].map((b) => b.pool.close())
    this.#hostPools.clear()
    await Promise.allSettled([...pools, ...this.#retiring])
  }

  readonly #make = (host: string, port: number, weight: number): Backend =>
    this.#makeBackend(host, port, weight, undefined)

  #makeBackend(host: string, port: number, weight: number, sni: string | undefined): Backend {
    const address = formatAddress(host, port)
    const pool = createPool(originFor(address, this.options.tls), this.#settings, sni)
    return { address, host, port, weight, healthy: true, pool }
  }

  #retire(backend: Backend): void {
    const closing = backend.pool.close().catch(() => undefined)
    this.#retiring.add(closing)
    void closing.then(() => this.#retiring.delete(closing))
  }

  /** Applies new DNS answers: new addresses get pools, vanished ones are closed gracefully. */
  #rebuild(resolved: ResolvedHosts): void {
    if (this.#closing !== undefined) return
    const existing = new Map(this.#backends.map((b) => [b.address, b]))
    const next = buildBackends(this.#allEntries(), resolved, existing, this.#make)
    const kept = new Set(next.map((b) => b.pool))
    for (const old of this.#backends) if (!kept.has(old.pool)) this.#retire(old)
    this.#backends = next
    log.info('backends changed', { upstream: this.name, backends: next.map((b) => b.address) })
  }

  /** The `addrs` entries, or the containers docker discovery found. */
  #allEntries(): readonly BackendEntry[] {
    return this.#docker?.entries ?? this.#entries
  }

  #carryHealth(previous: Upstream | undefined): void {
    if (previous === undefined) return
    const flags = new Map(previous.backends.map((b) => [b.address, b.healthy]))
    for (const backend of this.#backends) backend.healthy = flags.get(backend.address) ?? true
  }
}

/**
 * Compiles `[upstreams.<name>]`. Throws ConfigError naming the key for invalid input. Health
 * flags of addresses that `previous` also has are carried over.
 */
export function createUpstream(
  name: string,
  conf: UpstreamConf,
  basic: BasicConf,
  previous?: Upstream,
): Upstream {
  return new PooledUpstream(name, conf, basic, previous)
}
