/**
 * Syntax checks for listen addresses (`servers.*.addr`) and backend entries (`upstreams.*.addrs`).
 * Nothing is resolved here: parsing stays pure, and DNS failures belong to start-up and discovery.
 */
import { BlockList, isIP } from 'node:net'

/** A host and optional port split out of `host:port`, `[v6]:port`, `[v6]` or a bare IP. */
export interface HostPort {
  readonly host: string
  readonly port: number | undefined
}

// RFC 1123 labels; underscores too, as Docker and SRV-style names use them.
const HOSTNAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i

/** True for an IP literal or a syntactically valid host name. */
export function isValidHost(host: string): boolean {
  return isIP(host) !== 0 || (host.length <= 253 && HOSTNAME.test(host))
}

function parsePort(text: string): number | string {
  if (!/^\d{1,5}$/.test(text)) return `port "${text}" is not a number`
  const port = Number(text)
  return port > 65_535 ? `port ${port} is out of range (0-65535)` : port
}

/** Splits host and port; returns an error sentence when the text is malformed. */
export function splitHostPort(text: string): HostPort | string {
  if (text.startsWith('[')) {
    const end = text.indexOf(']')
    if (end < 0) return `missing "]" in "${text}"`
    const host = text.slice(1, end)
    if (isIP(host) !== 6) return `"${host}" is not an IPv6 address`
    const rest = text.slice(end + 1)
    if (rest === '') return { host, port: undefined }
    if (!rest.startsWith(':')) return `unexpected "${rest}" after "]"`
    const port = parsePort(rest.slice(1))
    return typeof port === 'string' ? port : { host, port }
  }
  if (isIP(text) === 6) return { host: text, port: undefined }
  const colon = text.lastIndexOf(':')
  const host = colon < 0 ? text : text.slice(0, colon)
  if (host === '') return `missing host in "${text}"`
  if (!isValidHost(host)) return `"${host}" is not a valid host`
  if (colon < 0) return { host, port: undefined }
  const port = parsePort(text.slice(colon + 1))
  return typeof port === 'string' ? port : { host, port }
}

/** Checks one listen address (`ip:port`, `[v6]:port`, `host:port`; port 0 = any free port). */
export function checkListenAddr(text: string): string | undefined {
  const parsed = splitHostPort(text)
  if (typeof parsed === 'string') return parsed
  return parsed.port === undefined ? `"${text}" has no port (expected ip:port)` : undefined
}

/** Checks one `addrs` entry `host[:port][ weight]`; returns the host and an optional problem. */
export function checkBackendEntry(entry: string): { host?: string; problem?: string } {
  const parts = entry.trim().split(/\s+/)
  if (parts[0] === '' || parts.length > 2) {
    return { problem: `"${entry}" is not "host[:port][ weight]"` }
  }
  const weight = parts[1]
  if (weight !== undefined && (!/^\d+$/.test(weight) || Number(weight) < 1)) {
    return { problem: `weight "${weight}" of "${entry}" must be a positive integer` }
  }
  const parsed = splitHostPort(parts[0] ?? '')
  if (typeof parsed === 'string') return { problem: parsed }
  return { host: parsed.host }
}

// Addresses no proxy can connect to as a backend (Pingap's "invalid IP").
const UNUSABLE = new BlockList()
UNUSABLE.addAddress('0.0.0.0')
UNUSABLE.addAddress('255.255.255.255')
UNUSABLE.addSubnet('224.0.0.0', 4)
UNUSABLE.addSubnet('169.254.0.0', 16)
UNUSABLE.addAddress('::', 'ipv6')
UNUSABLE.addSubnet('ff00::', 8, 'ipv6')
UNUSABLE.addSubnet('fe80::', 10, 'ipv6')

/** True for an unspecified, broadcast, multicast or link-local IP literal; false for names. */
export function isUnusableIp(host: string): boolean {
  const family = isIP(host)
  if (family === 0) return false
  return UNUSABLE.check(host, family === 6 ? 'ipv6' : 'ipv4')
}
