/**
 * Turns `addrs` entries (plus DNS answers) into the backend list, keeping the Backend object,
 * pool and health flag of every address that survives a change.
 */
import type { ResolvedHosts } from './discovery/dns.ts'
import { formatAddress, isIpLiteral, type BackendEntry } from './backend.ts'
import type { Backend } from './types.ts'

/** Creates a backend (and its pool) for one address. */
export type BackendFactory = (host: string, port: number, weight: number) => Backend

/**
 * The backend list for `entries`. Host names use their DNS answers when `resolved` has some,
 * else stay names (undici then resolves them itself). Duplicate addresses keep the first entry.
 */
export function buildBackends(
  entries: readonly BackendEntry[],
  resolved: ResolvedHosts | undefined,
  existing: ReadonlyMap<string, Backend>,
  make: BackendFactory,
): Backend[] {
  const out = new Map<string, Backend>()
  const add = (host: string, port: number, weight: number): void => {
    const address = formatAddress(host, port)
    if (out.has(address)) return
    const old = existing.get(address)
    if (old === undefined) out.set(address, make(host, port, weight))
    else out.set(address, old.weight === weight ? old : { ...old, weight })
  }
  for (const entry of entries) {
    const ips = isIpLiteral(entry.host) ? undefined : resolved?.get(entry.host)
    if (ips === undefined || ips.length === 0) add(entry.host, entry.port, entry.weight)
    else for (const ip of ips) add(ip, entry.port, entry.weight)
  }
  return [...out.values()]
}
