/** When an ACME certificate must be (re)ordered (spec §11.1): a pure decision, easy to test. */
import { sanNames, sniKey, type AcmeSettings, type LoadedCertificate } from '../tls/index.ts'

const DAY_MS = 86_400_000

/**
 * Why `cert` must be ordered again, or undefined when it is fine: no certificate yet, fewer than
 * `buffer_days` (default 2) days left, or a domain set that differs from the certificate's SAN
 * list. When the renewal window is as long as the certificate's whole lifetime (a large
 * `buffer_days`), renewal waits until a third of the lifetime is left, so a fresh certificate
 * is never re-ordered in a loop.
 */
export function renewalReason(
  settings: AcmeSettings,
  cert: LoadedCertificate | undefined,
  now: number,
): string | undefined {
  if (cert === undefined) return 'no certificate yet'
  const names = [...new Set(sanNames(cert.leaf).map(sniKey))].sort()
  if (names.join(',') !== settings.domains.join(',')) return 'the domain list changed'
  const left = cert.notAfter.getTime() - now
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime()
  const window = Math.min(settings.renewDays * DAY_MS, lifetime / 3)
  if (left <= window) return `it expires in ${Math.max(0, Math.floor(left / DAY_MS))} days`
  return undefined
}

/** The back-off after `failures` consecutive failed orders: 1 min, doubling, at most 1 hour. */
export function backoffMs(failures: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, failures - 1), 3_600_000)
}
