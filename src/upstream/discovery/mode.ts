/** Which discovery an upstream uses, and the DNS settings of `[upstreams.<name>]`. */
import type { UpstreamConf } from '../../config/types.ts'
import { ConfigError } from '../../core/errors.ts'
import { isIpLiteral, type BackendEntry } from '../backend.ts'
import { durationKey } from '../options.ts'
import { DEFAULT_UPDATE_FREQUENCY_MS, invalidDnsServer, type DnsOptions } from './dns.ts'

export type DiscoveryMode = 'static' | 'dns' | 'docker' | 'transparent'

/**
 * The discovery mode: as written, or when `discovery` is unset, `dns` if any host is a name and
 * `static` otherwise (spec §1.8).
 */
export function discoveryMode(
  conf: UpstreamConf,
  entries: readonly BackendEntry[],
  name: string,
): DiscoveryMode {
  const value = conf.discovery?.trim().toLowerCase()
  if (value === undefined) return entries.some((e) => !isIpLiteral(e.host)) ? 'dns' : 'static'
  if (value === '' || value === 'static') return 'static'
  if (value === 'dns' || value === 'docker' || value === 'transparent') return value
  throw new ConfigError('PGT_ERR_CONFIG_INVALID', `upstreams.${name}.discovery`, [
    `unknown discovery "${conf.discovery}" (expected static, dns, docker or transparent)`,
  ])
}

function commaList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

/** How often docker discovery re-lists without an event: `update_frequency`, default 60 s. */
export function dockerFrequency(conf: UpstreamConf, name: string): number {
  const frequency = durationKey(conf.update_frequency, `upstreams.${name}.update_frequency`)
  return frequency !== undefined && frequency > 0 ? frequency : DEFAULT_UPDATE_FREQUENCY_MS
}

/** DNS settings from `dns_server`, `dns_domain`, `dns_search`, `ipv4_only`, `update_frequency`. */
export function dnsOptions(conf: UpstreamConf, name: string): DnsOptions {
  const servers = commaList(conf.dns_server)
  const bad = invalidDnsServer(servers)
  if (bad !== undefined) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', `upstreams.${name}.dns_server`, [
      `"${bad}" is not an IP address (ip or ip:port)`,
    ])
  }
  const frequency = durationKey(conf.update_frequency, `upstreams.${name}.update_frequency`)
  return {
    servers: servers.length > 0 ? servers : undefined,
    search: [...commaList(conf.dns_domain), ...commaList(conf.dns_search)],
    ipv4Only: conf.ipv4_only ?? false,
    updateFrequencyMs:
      frequency !== undefined && frequency > 0 ? frequency : DEFAULT_UPDATE_FREQUENCY_MS,
  }
}
