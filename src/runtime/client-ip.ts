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

function peerIsTrusted(list: BlockList, peer: string): boolean {
  if (peer.startsWith('::ffff:')) {
    const v4 = peer.slice(7)
    if (isIP(v4) === 4 && list.check(v4, 'ipv4')) return true
  }
  return list.check(peer, isIP(peer) === 6 ? 'ipv6' : 'ipv4')
}

/** The client IP: the first X-Forwarded-For entry, then X-Real-IP, from trusted peers only. */
export function resolveClientIp(
  trusted: BlockList | undefined,
  peer: string,
  headers: IncomingHttpHeaders,
): string {
  if (trusted === undefined || !peerIsTrusted(trusted, peer)) return peer
  const xff = headers['x-forwarded-for']
  if (typeof xff === 'string' && xff !== '') {
    const first = xff.split(',')[0]?.trim()
    if (first !== undefined && first !== '') return first
  }
  const real = headers['x-real-ip']
  if (typeof real === 'string' && real.trim() !== '') return real.trim()
  return peer
}
