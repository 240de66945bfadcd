/**
 * IP / CIDR lists from plugin tables, compiled once into a node:net BlockList. IPv4 entries are
 * also kept as integer ranges: a dotted IPv4 client (the common case) is then checked without
 * the BlockList's per-call SocketAddress allocation, which costs microseconds per request.
 */
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

/** A canonical dotted IPv4 address as an unsigned integer; -1 for anything else. */
export function ipv4Number(ip: string): number {
  let value = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1
      value = value * 256 + part
      part = 0
      digits = 0
      dots++
    } else if (c >= 48 && c <= 57) {
      // A leading zero ("01") is not canonical: left to isIP, as before.
      if (digits > 0 && part === 0) return -1
      part = part * 10 + (c - 48)
      if (++digits > 3 || part > 255) return -1
    } else {
      return -1
    }
  }
  if (dots !== 3 || digits === 0) return -1
  return value * 256 + part
}

/**
 * What the list means for IPv4 clients, as inclusive [first, last] integer ranges; `exact` is
 * false when an IPv6 entry might match IPv4 clients in a way the ranges do not capture.
 */
interface Ipv4View {
  readonly ranges: Array<[number, number]>
  exact: boolean
}

const ALL_IPV4: [number, number] = [0, 2 ** 32 - 1]
const MAPPED = new BlockList()
MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6')

function addRange(view: Ipv4View, ip: string, prefix: number): void {
  const start = ipv4Number(ip)
  if (start < 0) {
    view.exact = false
    return
  }
  const size = 2 ** (32 - prefix)
  const first = Math.floor(start / size) * size
  view.ranges.push([first, first + size - 1])
}

/**
 * The BlockList matches an IPv4 client against IPv6 entries as `::ffff:a.b.c.d`, so an IPv6
 * entry that covers part of `::ffff:0:0/96` is an IPv4 range too.
 */
function addMappedRange(view: Ipv4View, ip: string, prefix: number): void {
  const probe = new BlockList()
  probe.addSubnet(ip, prefix, 'ipv6')
  if (prefix <= 96) {
    if (probe.check('::ffff:0.0.0.0', 'ipv6')) view.ranges.push(ALL_IPV4)
    return
  }
  if (!MAPPED.check(ip, 'ipv6')) return
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1]
  if (dotted === undefined) view.exact = false
  else addRange(view, dotted, prefix - 96)
}

/** Adds one `ip` or `ip/prefix` entry; false when it is neither. */
function addEntry(list: BlockList, view: Ipv4View, entry: string): boolean {
  const slash = entry.indexOf('/')
  const ip = slash < 0 ? entry : entry.slice(0, slash)
  const type = family(ip)
  if (type === undefined) return false
  const bits = slash < 0 ? (type === 'ipv4' ? '32' : '128') : entry.slice(slash + 1)
  const prefix = Number(bits)
  if (!/^\d+$/.test(bits) || prefix > (type === 'ipv4' ? 32 : 128)) return false
  if (slash < 0) list.addAddress(ip, type)
  else list.addSubnet(ip, prefix, type)
  if (type === 'ipv4') addRange(view, ip, prefix)
  else addMappedRange(view, ip, prefix)
  return true
}

/**
 * Compiles `entries`; an entry that is not an IP or CIDR is a ConfigError at `path[i]` (Pingap
 * skips it silently, which can turn a typo in an allow list into "block everyone").
 */
export function compileIpList(entries: readonly string[], path: string): IpList {
  const list = new BlockList()
  const view: Ipv4View = { ranges: [], exact: true }
  entries.forEach((raw, i) => {
    const entry = raw.trim()
    if (!addEntry(list, view, entry)) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${path}[${i}]`, [
        `"${raw}" is not an IP address or CIDR`,
      ])
    }
  })
  const { ranges, exact } = view
  return {
    has(ip) {
      const n = ipv4Number(ip)
      if (n >= 0) {
        for (const [first, last] of ranges) if (n >= first && n <= last) return true
        if (exact) return false
      }
      const type = family(ip)
      return type === undefined ? undefined : list.check(ip, type)
    },
  }
}
