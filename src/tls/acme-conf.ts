/**
 * How a `[certificates.<name>]` item asks for ACME (spec §11), read once: the directory URL, the
 * challenge type and the renewal window. It lives here, not in src/acme, because the snapshot
 * build also needs it (to open the HTTP-01 challenge listener).
 */
import type { CertificateConf, PingapConfig, ServerConf } from '../config/types.ts'
import { ConfigError } from '../core/errors.ts'

/** Let's Encrypt's production directory (the default, as in Pingap). */
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory'
/** Let's Encrypt's staging directory. */
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory'
/** Renew when fewer days than this remain and `buffer_days` is 0 or unset (spec §1.10). */
export const DEFAULT_RENEW_DAYS = 2
/** Where the implicit HTTP-01 challenge server listens when no plain server uses port 80. */
export const DEFAULT_CHALLENGE_ADDR = '0.0.0.0:80'
/** The storage remark that marks an HTTP-01 token (Pingap's, so both can share a store). */
export const HTTP01_TOKEN_REMARK = "let's encrypt http-01 token"

const NAMED_DIRECTORIES: Readonly<Record<string, string>> = {
  lets_encrypt: LETS_ENCRYPT_PRODUCTION,
  letsencrypt: LETS_ENCRYPT_PRODUCTION,
  lets_encrypt_staging: LETS_ENCRYPT_STAGING,
  letsencrypt_staging: LETS_ENCRYPT_STAGING,
}

/** The ACME settings of one certificate. */
export interface AcmeSettings {
  readonly directoryUrl: string
  readonly challenge: 'http-01' | 'dns-01'
  /** Sorted, lower-case identifiers to order. */
  readonly domains: readonly string[]
  readonly renewDays: number
  readonly dnsProvider: string
  readonly dnsServiceUrl: string | undefined
}

/**
 * The directory URL for `acme`: `lets_encrypt` (production), `lets_encrypt_staging`, or any
 * `https://` (or, for local test servers, `http://`) RFC 8555 directory URL.
 */
export function acmeDirectory(value: string, path: string): string {
  const named = NAMED_DIRECTORIES[value.trim().toLowerCase()]
  if (named !== undefined) return named
  if (/^https?:\/\/[^/\s]+/i.test(value.trim())) return value.trim()
  throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [
    `"${value}" is neither lets_encrypt, lets_encrypt_staging nor a directory URL`,
  ])
}

/** The ACME settings of `conf`, or undefined when it does not use ACME. */
export function acmeSettings(name: string, conf: CertificateConf): AcmeSettings | undefined {
  if (conf.acme === undefined || conf.acme.trim() === '') return undefined
  const domains = [
    ...new Set(
      (conf.domains ?? '')
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter((d) => d !== ''),
    ),
  ].sort()
  if (domains.length === 0) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', `certificates.${name}.domains`, [
      'an ACME certificate needs domains',
    ])
  }
  const dns = conf.dns_challenge === true
  if (!dns && domains.some((d) => d.startsWith('*.'))) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', `certificates.${name}.dns_challenge`, [
      'wildcard domains can only be validated with dns_challenge = true',
    ])
  }
  const buffer = conf.buffer_days ?? 0
  return {
    directoryUrl: acmeDirectory(conf.acme, `certificates.${name}.acme`),
    challenge: dns ? 'dns-01' : 'http-01',
    domains,
    renewDays: buffer > 0 ? buffer : DEFAULT_RENEW_DAYS,
    dnsProvider: (conf.dns_provider ?? '').trim().toLowerCase() || 'manual',
    dnsServiceUrl: conf.dns_service_url,
  }
}

/** True when some certificate validates by HTTP-01 (challenges must then be answered). */
export function usesHttp01(config: Pick<PingapConfig, 'certificates'>): boolean {
  for (const [name, conf] of Object.entries(config.certificates)) {
    try {
      if (acmeSettings(name, conf)?.challenge === 'http-01') return true
    } catch {
      // An invalid item is reported by the build; it answers no challenge.
    }
  }
  return false
}

/** The address of the implicit challenge server (`basic.acme_challenge_addr`). */
export function challengeAddr(config: Pick<PingapConfig, 'basic'>): string {
  const value = config.basic.acme_challenge_addr
  return value === undefined || value.trim() === '' ? DEFAULT_CHALLENGE_ADDR : value.trim()
}

/** The name of the implicit challenge server (it has no locations). */
export const CHALLENGE_SERVER_NAME = 'pingap:acme'

function portOf(addr: string): number | undefined {
  const colon = addr.lastIndexOf(':')
  const port = Number(addr.slice(colon + 1))
  return colon >= 0 && Number.isInteger(port) ? port : undefined
}

/**
 * The implicit server that answers HTTP-01 challenges (spec §4.1), or undefined when no
 * certificate uses HTTP-01 or a plain server already listens on the challenge port.
 */
export function implicitChallengeServer(
  config: Pick<PingapConfig, 'basic' | 'servers' | 'certificates'>,
): ServerConf | undefined {
  if (!usesHttp01(config)) return undefined
  const addr = challengeAddr(config)
  const port = portOf(addr)
  for (const server of Object.values(config.servers)) {
    if (server.global_certificates === true) continue
    for (const one of server.addr.split(',')) if (portOf(one.trim()) === port) return undefined
  }
  return { addr }
}
