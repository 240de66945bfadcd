/**
 * What the admin status shows about the running data plane: upstream backends and their health,
 * listeners, certificates and their expiry. Read from a snapshot, so the admin server never
 * reaches into the proxy.
 */
import type { Snapshot } from '../runtime/snapshot.ts'

/** One upstream and the health of its backends. */
export interface UpstreamStatus {
  readonly name: string
  readonly healthy: number
  readonly total: number
  readonly backends: ReadonlyArray<{ readonly address: string; readonly healthy: boolean }>
}

/** One bound listener. */
export interface ListenerStatus {
  readonly server: string
  readonly addr: string
}

/** One loaded certificate. */
export interface CertificateStatus {
  readonly name: string
  readonly domains: readonly string[]
  readonly notBefore: string
  readonly notAfter: string
  readonly daysLeft: number
  readonly isDefault: boolean
}

/** The data-plane part of the admin status. */
export interface RuntimeStatus {
  readonly appliedVersion: number
  readonly upstreams: readonly UpstreamStatus[]
  readonly listeners: readonly ListenerStatus[]
  readonly certificates: readonly CertificateStatus[]
}

/** Something that can report the runtime status (the App, or a cluster primary). */
export type RuntimeStatusSource = () => RuntimeStatus

const DAY_MS = 86_400_000

/** Collects the status of `snapshot`; `addresses` maps server name → bound addresses. */
export function runtimeStatus(
  snapshot: Snapshot,
  addresses: ReadonlyMap<string, readonly string[]>,
  now = Date.now(),
): RuntimeStatus {
  const upstreams: UpstreamStatus[] = []
  for (const [name, upstream] of snapshot.upstreams) {
    const backends = upstream.backends.map((b) => ({ address: b.address, healthy: b.healthy }))
    upstreams.push({
      name,
      healthy: backends.filter((b) => b.healthy).length,
      total: backends.length,
      backends,
    })
  }
  const listeners: ListenerStatus[] = []
  for (const [server, addrs] of addresses) {
    for (const addr of addrs) listeners.push({ server, addr })
  }
  const certificates = snapshot.tls.certificates.map((cert) => ({
    name: cert.name,
    domains: cert.domains,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    daysLeft: Math.floor((cert.notAfter.getTime() - now) / DAY_MS),
    isDefault: cert.isDefault,
  }))
  return { appliedVersion: snapshot.version, upstreams, listeners, certificates }
}
