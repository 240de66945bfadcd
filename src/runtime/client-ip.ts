/**
 * Client IP resolution (spec §6.3 with decisions §7): forwarding headers are trusted only when
 * the TCP peer is in `basic.trusted_proxies`; unset means trust nobody.
 */
import { BlockList, isIP } from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'
import { ConfigError } from '../core/errors.ts'

/** The parsed `trusted_proxies` list; undefined when unset or empty. */
export function buildTrustedProxies(
  entries: readonly string[] | undefined,
  path = 'basic.trusted_proxies',
): BlockList | undefined {
  if (entries === undefined || entries.length === 0) return undefined
  const list = new BlockList()
  entries.forEach((entry, i) => {
    const [addr = '', bits] = entry.trim().split('/')
    const family = isIP(addr)
    if (family === 0) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${path}[${i}]`, [
        `"${entry}" is not an IP address or CIDR`,
      ])
    }
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(addr, type)
    else {
      const prefix = Number(bits)
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${path}[${i}]`, [
          `"${entry}" has an invalid prefix length`,
        ])
      }
      list.addSubnet(addr, prefix, type)
    }
  })
  return list
}

/** True when `peer` (the socket's address, IPv4-mapped or not) is in `list`. */
export function peerIsTrusted(list: BlockList, peer: string): boolean {
  if (peer.startsWith('::ffff:')) {
    const v4 = peer.slice(7)
    if (isIP(v4) === 4 && list.check(v4, 'ipv4')) return true
  }
  return list.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4')
}

/**
 * The longest X-Forwarded-For chain looked at (hostile-catalogue F5): walking further left only
 * reaches addresses that a client could have written anyway.
 */
const MAX_HOPS = 32

/**
 * The client address of an X-Forwarded-For chain: walking from the right (the hop closest to
 * this proxy), the first address that is not a trusted proxy (hostile-catalogue F4; nginx
 * `real_ip_recursive`, Envoy's trusted hops). Entries further left were written by that client
 * and prove nothing. When every entry is trusted, the leftmost wins, which with
 * `trusted_proxies = ["0.0.0.0/0", "::/0"]` is Pingap's "first entry" rule. Undefined when the
 * rightmost entry is not an IP.
 */
function clientOfChain(trusted: BlockList, xff: string): string | undefined {
  const entries = xff.split(',')
  let client: string | undefined
  const stop = Math.max(0, entries.length - MAX_HOPS)
  for (let i = entries.length - 1; i >= stop; i--) {
    const entry = (entries[i] ?? '').trim()
    // A garbled entry ends the walk: what lies left of it cannot be attributed to any hop.
    if (isIP(entry) === 0) return client
    client = entry
    if (!peerIsTrusted(trusted, entry)) return client
  }
  return client
}

/**
 * The client IP: from a trusted peer, the rightmost untrusted X-Forwarded-For address (see
 * clientOfChain), else X-Real-IP; from any other peer, the peer itself.
 */
export function resolveClientIp(
  trusted: BlockList | undefined,
  peer: string,
  headers: IncomingHttpHeaders,
): string {
  if (trusted === undefined || !peerIsTrusted(trusted, peer)) return peer
  return forwardedClientIp(trusted, peer, headers)
}

/** resolveClientIp() for a peer already known to be trusted (the request path checks once). */
export function forwardedClientIp(
  trusted: BlockList,
  peer: string,
  headers: IncomingHttpHeaders,
): string {
  const xff = headers['x-forwarded-for']
  if (typeof xff === 'string' && xff !== '') {
    const client = clientOfChain(trusted, xff)
    if (client !== undefined) return client
  }
  const real = headers['x-real-ip']
  if (typeof real === 'string' && isIP(real.trim()) !== 0) return real.trim()
  return peer
}
