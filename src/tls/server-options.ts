/**
 * The TLS settings of one `[servers.<name>]` with `global_certificates = true`: protocol versions
 * (`tlsv1.2`; Pingap's docs also write `tls1.2`) and cipher lists, checked at build time so that
 * `-t` reports a bad cipher string instead of the listener failing later.
 */
import { createSecureContext, type SecureVersion } from 'node:tls'
import type { ServerConf } from '../config/types.ts'
import { ConfigError } from '../core/errors.ts'
import { hashConfig } from '../core/hash.ts'

/** What a TLS listener needs besides certificates. */
export interface ServerTlsSettings {
  readonly minVersion: SecureVersion
  readonly maxVersion: SecureVersion
  /** OpenSSL cipher string (TLS ≤ 1.2 list and TLS 1.3 suites joined); undefined = Node's. */
  readonly ciphers: string | undefined
  /** ALPN `h2` with HTTP/1.1 fallback. */
  readonly h2: boolean
  /** Equal keys mean a listener can keep its socket and only swap its context. */
  readonly key: string
}

const VERSIONS: Readonly<Record<string, SecureVersion>> = {
  'tlsv1.1': 'TLSv1.1',
  'tls1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tls1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
  'tls1.3': 'TLSv1.3',
}

/** Maps a version name; anything unknown means TLS 1.2, as in Pingap (spec §1.6). */
export function parseTlsVersion(text: string | undefined, fallback: SecureVersion): SecureVersion {
  if (text === undefined || text.trim() === '') return fallback
  return VERSIONS[text.trim().toLowerCase()] ?? 'TLSv1.2'
}

function cipherString(conf: ServerConf, minVersion: SecureVersion): string | undefined {
  const parts = [conf.tls_cipher_list, conf.tls_ciphersuites]
    .map((p) => p?.trim() ?? '')
    .filter((p) => p !== '')
  // TLS 1.1 needs OpenSSL's security level lowered, as Pingap does for `tlsv1.1`.
  if (minVersion === 'TLSv1.1') {
    if (parts.length === 0 || conf.tls_cipher_list === undefined) parts.unshift('DEFAULT')
    parts.push('@SECLEVEL=0')
  }
  return parts.length > 0 ? parts.join(':') : undefined
}

/** The TLS settings of server `name`; throws a ConfigError for an unusable cipher string. */
export function serverTlsSettings(conf: ServerConf, name: string): ServerTlsSettings {
  const minVersion = parseTlsVersion(conf.tls_min_version, 'TLSv1.2')
  const maxVersion = parseTlsVersion(conf.tls_max_version, 'TLSv1.3')
  if (minVersion > maxVersion) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', `servers.${name}.tls_min_version`, [
      `tls_min_version ${minVersion} is above tls_max_version ${maxVersion}`,
    ])
  }
  const ciphers = cipherString(conf, minVersion)
  if (ciphers !== undefined) {
    try {
      createSecureContext({ ciphers, minVersion, maxVersion })
    } catch (err) {
      const key = conf.tls_cipher_list !== undefined ? 'tls_cipher_list' : 'tls_ciphersuites'
      const why = err instanceof Error ? err.message : String(err)
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `servers.${name}.${key}`, [
        `OpenSSL refused "${ciphers}": ${why}`,
      ])
    }
  }
  const h2 = conf.enabled_h2 === true
  return {
    minVersion,
    maxVersion,
    ciphers,
    h2,
    key: hashConfig({ minVersion, maxVersion, ciphers, h2 }),
  }
}
