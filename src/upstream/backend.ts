/**
 * Parsing of `addrs` entries (`"host[:port][ weight]"`) and the `ip:port` address form used
 * as a backend's identity everywhere (health flags, logs, `$upstream_addr`).
 */
import { isIP } from 'node:net'
import { isUnusableIp } from '../config/addresses.ts'
import { ConfigError } from '../core/errors.ts'

/** One `addrs` entry after parsing. `host` has no brackets, even for IPv6. */
export interface BackendEntry {
  readonly host: string
  readonly port: number
  readonly weight: number
}

const PORT_HTTP = 80
const PORT_HTTPS = 443

/** `host:port`, with brackets around an IPv6 literal (`[::1]:8080`). */
export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
}

/** True when `host` is an IPv4 or IPv6 literal (no brackets). */
export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0
}

function invalid(path: string, entry: string, why: string): ConfigError {
  return new ConfigError('PGT_ERR_CONFIG_INVALID', path, [`invalid address "${entry}": ${why}`])
}

function parsePort(text: string, path: string, entry: string): number {
  if (!/^\d{1,5}$/.test(text)) throw invalid(path, entry, `bad port "${text}"`)
  const port = Number(text)
  if (port < 1 || port > 65535) throw invalid(path, entry, `port ${port} out of range`)
  return port
}

function splitHostPort(
  hostPort: string,
  path: string,
  entry: string,
): { host: string; port: string | undefined } {
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']')
    if (close < 0) throw invalid(path, entry, 'missing "]"')
    const host = hostPort.slice(1, close)
    if (isIP(host) !== 6) throw invalid(path, entry, `"${host}" is not an IPv6 address`)
    const rest = hostPort.slice(close + 1)
    if (rest === '') return { host, port: undefined }
    if (!rest.startsWith(':')) throw invalid(path, entry, 'expected ":" after "]"')
    return { host, port: rest.slice(1) }
  }
  // A bare IPv6 literal has several colons and no port (`::1`).
  if (isIP(hostPort) === 6) return { host: hostPort, port: undefined }
  const colon = hostPort.lastIndexOf(':')
  if (colon < 0) return { host: hostPort, port: undefined }
  return { host: hostPort.slice(0, colon), port: hostPort.slice(colon + 1) }
}

/**
 * Parses one `addrs` entry. The port defaults to 443 when TLS is on (a non-empty `sni`), else
 * 80; the weight defaults to 1. `path` is the dotted TOML path used in errors.
 */
export function parseBackendEntry(entry: string, tls: boolean, path: string): BackendEntry {
  const parts = entry.trim().split(/\s+/)
  if (parts.length === 0 || parts[0] === '' || parts.length > 2) {
    throw invalid(path, entry, 'expected "host[:port][ weight]"')
  }
  const { host, port } = splitHostPort(parts[0] ?? '', path, entry)
  if (host === '') throw invalid(path, entry, 'empty host')
  if (isIP(host) === 0 && !/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_.])?$/i.test(host)) {
    throw invalid(path, entry, `bad host "${host}"`)
  }
  let weight = 1
  if (parts[1] !== undefined) {
    if (!/^\d+$/.test(parts[1]) || Number(parts[1]) < 1) {
      throw invalid(path, entry, `weight "${parts[1]}" must be a positive integer`)
    }
    weight = Number(parts[1])
  }
  return {
    host: host.toLowerCase(),
    port: port === undefined ? (tls ? PORT_HTTPS : PORT_HTTP) : parsePort(port, path, entry),
    weight,
  }
}

/**
 * Rejects an IP literal that is unspecified, broadcast, multicast or link-local (static
 * discovery only, as Pingap's validation); host names pass.
 */
export function assertUsableIp(entry: BackendEntry, path: string): void {
  if (isUnusableIp(entry.host)) {
    throw invalid(path, entry.host, 'invalid IP (unspecified, broadcast, multicast or link-local)')
  }
}

/** Parses every `addrs` entry of `[upstreams.<name>]`; errors name `upstreams.<name>.addrs`. */
export function parseBackendEntries(
  addrs: readonly string[],
  tls: boolean,
  name: string,
): BackendEntry[] {
  const path = `upstreams.${name}.addrs`
  if (addrs.length === 0) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, ['addrs must not be empty'])
  }
  return addrs.map((entry) => parseBackendEntry(entry, tls, path))
}
