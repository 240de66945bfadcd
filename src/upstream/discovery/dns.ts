/**
 * DNS discovery (spec §3.1): resolves each host name of an upstream again and again, as often
 * as the shortest record TTL (clamped to [5 s, 300 s]) or `update_frequency`, whichever comes
 * first. A name that fails to resolve keeps its last addresses, so a DNS outage never empties
 * an upstream.
 */
import { isIP } from 'node:net'
import { lookup, Resolver } from 'node:dns/promises'
import { logger } from '../../core/logger.ts'
import { emitNotification } from '../../core/notifications.ts'

const log = logger.child({ module: 'dns' })

export const MIN_TTL_MS = 5_000
export const MAX_TTL_MS = 300_000
export const DEFAULT_UPDATE_FREQUENCY_MS = 60_000

/** Host name → its addresses, sorted. */
export type ResolvedHosts = ReadonlyMap<string, readonly string[]>

export interface DnsOptions {
  /** `dns_server` entries (`ip` or `ip:port`); undefined = the system resolver. */
  readonly servers: readonly string[] | undefined
  /** `dns_domain` then `dns_search` entries, tried for a name that does not resolve as is. */
  readonly search: readonly string[]
  readonly ipv4Only: boolean
  readonly updateFrequencyMs: number
}

interface Answer {
  readonly ips: string[]
  /** Shortest TTL seen; undefined when the answer came from the system lookup (no TTL). */
  readonly ttlMs: number | undefined
}

async function query(resolver: Resolver, name: string, ipv4Only: boolean): Promise<Answer> {
  const families = ipv4Only
    ? [resolver.resolve4(name, { ttl: true })]
    : [resolver.resolve4(name, { ttl: true }), resolver.resolve6(name, { ttl: true })]
  const settled = await Promise.allSettled(families)
  const records = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []))
  const ttl = records.length === 0 ? undefined : Math.min(...records.map((r) => r.ttl)) * 1000
  return { ips: records.map((r) => r.address), ttlMs: ttl }
}

/**
 * Resolves one name: DNS queries (with TTLs) for the name and then each search suffix; with
 * the system resolver, falls back to getaddrinfo so `/etc/hosts` names such as `localhost` work.
 */
export async function resolveHost(
  host: string,
  resolver: Resolver,
  options: Pick<DnsOptions, 'servers' | 'search' | 'ipv4Only'>,
): Promise<Answer> {
  const names = host.endsWith('.') ? [host] : [host, ...options.search.map((d) => `${host}.${d}`)]
  for (const name of names) {
    const answer = await query(resolver, name, options.ipv4Only)
    if (answer.ips.length > 0) return answer
  }
  if (options.servers === undefined) {
    const found = await lookup(host, { all: true, family: options.ipv4Only ? 4 : 0 })
    const ips = found.map((a) => a.address)
    if (ips.length > 0) return { ips, ttlMs: undefined }
  }
  throw new Error(`cannot resolve ${host}`)
}

/** Checks `dns_server` entries without touching the network; returns the bad one if any. */
export function invalidDnsServer(servers: readonly string[]): string | undefined {
  return servers.find((s) => {
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
    if (bracketed !== null) return isIP(bracketed[1] ?? '') !== 6
    if (isIP(s) !== 0) return false
    const m = /^([^:]+):(\d+)$/.exec(s)
    return m === null || isIP(m[1] ?? '') !== 4
  })
}

function sameLists(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** Re-resolves a set of host names on a TTL-aware timer and reports changes. */
export class DnsDiscovery {
  readonly #hosts: readonly string[]
  readonly #options: DnsOptions
  readonly #onChange: (resolved: ResolvedHosts) => void
  #resolved: ResolvedHosts
  #resolver: Resolver | undefined
  /** Hosts whose last resolution failed: `service_discover_fail` is sent once per outage. */
  readonly #failing = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #stopped = false

  /** `seed` (e.g. the previous version's answers) is used until the first refresh. */
  constructor(
    hosts: readonly string[],
    options: DnsOptions,
    onChange: (resolved: ResolvedHosts) => void,
    seed?: ResolvedHosts,
  ) {
    this.#hosts = [...new Set(hosts)]
    this.#options = options
    this.#onChange = onChange
    const kept = new Map<string, readonly string[]>()
    for (const host of this.#hosts) {
      const ips = seed?.get(host)
      if (ips !== undefined) kept.set(host, ips)
    }
    this.#resolved = kept
  }

  /** The latest answers (hosts that never resolved are absent). */
  get resolved(): ResolvedHosts {
    return this.#resolved
  }

  /** Resolves now, then again on the TTL-aware schedule until stop(). */
  start(): void {
    this.#stopped = false
    void this.#tick()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
  }

  /** Resolves every host once; returns the delay before the next refresh, in ms. */
  async refresh(): Promise<number> {
    if (this.#resolver === undefined) {
      this.#resolver = new Resolver({ timeout: 3000, tries: 2 })
      if (this.#options.servers !== undefined) this.#resolver.setServers(this.#options.servers)
    }
    const resolver = this.#resolver
    const next = new Map(this.#resolved)
    let minTtl = Infinity
    let failures = 0
    await Promise.all(
      this.#hosts.map(async (host) => {
        try {
          const answer = await resolveHost(host, resolver, this.#options)
          next.set(host, [...new Set(answer.ips)].sort())
          this.#failing.delete(host)
          if (answer.ttlMs !== undefined) minTtl = Math.min(minTtl, answer.ttlMs)
        } catch (err) {
          failures++
          log.warn('dns resolution failed, keeping the last addresses', { host, err })
          if (!this.#failing.has(host)) {
            this.#failing.add(host)
            const reason = err instanceof Error ? err.message : String(err)
            emitNotification({
              category: 'service_discover_fail',
              level: 'warn',
              message: `dns resolution of ${host} failed: ${reason}`,
            })
          }
        }
      }),
    )
    if (this.#stopped) return this.#options.updateFrequencyMs
    if (this.#hosts.some((h) => !sameLists(this.#resolved.get(h), next.get(h)))) {
      this.#resolved = next
      this.#onChange(next)
    }
    return nextDelay(minTtl, failures === this.#hosts.length, this.#options.updateFrequencyMs)
  }

  async #tick(): Promise<void> {
    const delay = await this.refresh()
    if (this.#stopped) return
    this.#timer = setTimeout(() => void this.#tick(), delay)
    this.#timer.unref()
  }
}

/** min(TTL clamped to [5 s, 300 s], update_frequency); a total failure retries within 5 s. */
export function nextDelay(minTtlMs: number, allFailed: boolean, updateFrequencyMs: number): number {
  if (allFailed) return Math.min(MIN_TTL_MS, updateFrequencyMs)
  const ttl = Number.isFinite(minTtlMs)
    ? Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, minTtlMs))
    : Infinity
  return Math.min(ttl, updateFrequencyMs)
}
