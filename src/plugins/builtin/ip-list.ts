/** IP / CIDR lists from plugin tables, compiled once into a node:net BlockList. */
import { BlockList, isIP } from 'node:net'
import { ConfigError } from '../../core/errors.ts'

/** A compiled list of addresses and subnets. */
export interface IpList {
  /** True when `ip` is in the list; undefined when `ip` is not an IP address. */
  has(ip: string): boolean | undefined
}

function family(ip: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(ip)
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined
}

/** Adds one `ip` or `ip/prefix` entry; false when it is neither. */
function addEntry(list: BlockList, entry: string): boolean {
  const slash = entry.indexOf('/')
  const ip = slash < 0 ? entry : entry.slice(0, slash)
  const type = family(ip)
  if (type === undefined) return false
  if (slash < 0) {
    list.addAddress(ip, type)
    return true
  }
  const bits = entry.slice(slash + 1)
  const prefix = Number(bits)
  if (!/^\d+$/.test(bits) || prefix > (type === 'ipv4' ? 32 : 128)) return false
  list.addSubnet(ip, prefix, type)
  return true
}

/**
 * Compiles `entries`; an entry that is not an IP or CIDR is a ConfigError at `path[i]` (Pingap
 * skips it silently, which can turn a typo in an allow list into "block everyone").
 */
export function compileIpList(entries: readonly string[], path: string): IpList {
  const list = new BlockList()
  entries.forEach((raw, i) => {
    const entry = raw.trim()
    if (!addEntry(list, entry)) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${path}[${i}]`, [
        `"${raw}" is not an IP address or CIDR`,
      ])
    }
  })
  return {
    has(ip) {
      const type = family(ip)
      return type === undefined ? undefined : list.check(ip, type)
    },
  }
}
