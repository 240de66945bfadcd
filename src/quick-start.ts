/**
 * Quick start (spec §9): `--upstream` builds a one-location config in memory. With `--cert`
 * (a file, or a directory holding one of the usual names) the server speaks TLS and HTTP/2; with
 * `--domain` alone the certificate comes from Let's Encrypt by HTTP-01, and the ACME state is
 * kept in `~/.pingap/acme/<domains>.toml` (0600) so a restart does not order it again.
 */
import { existsSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** Certificate names searched in a `--cert` directory, in order (common layouts). */
export const CERT_NAMES = ['fullchain.pem', 'cert.pem', 'tls.crt', 'server.crt', 'cert.crt']
/** Key names searched next to the certificate, in order. */
export const KEY_NAMES = ['privkey.pem', 'key.pem', 'tls.key', 'server.key', 'cert.key']

export interface QuickStartOptions {
  readonly upstream: string
  readonly domain?: string | undefined
  readonly addr?: string | undefined
  readonly cert?: string | undefined
  readonly key?: string | undefined
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function firstExisting(dir: string, names: readonly string[]): string | undefined {
  return names.map((n) => join(dir, n)).find((p) => existsSync(p))
}

/**
 * The certificate and key files of `--cert` / `--key`; throws an Error that names what was
 * searched when nothing is found.
 */
export function findCertificateFiles(cert: string, key?: string): { cert: string; key: string } {
  const isDir = existsSync(cert) && statSync(cert).isDirectory()
  const certFile = isDir ? firstExisting(cert, CERT_NAMES) : cert
  if (certFile === undefined || !existsSync(certFile)) {
    throw new Error(
      isDir ? `no ${CERT_NAMES.join(', ')} in ${cert}` : `certificate file ${cert} does not exist`,
    )
  }
  const keyFile = key ?? firstExisting(isDir ? cert : dirname(certFile), KEY_NAMES)
  if (keyFile === undefined || !existsSync(keyFile)) {
    throw new Error(
      key !== undefined
        ? `key file ${key} does not exist`
        : `no ${KEY_NAMES.join(', ')} next to ${certFile} (use --key)`,
    )
  }
  return { cert: certFile, key: keyFile }
}

/** `~/.pingap/acme/<domains>.toml`: where quick-start ACME state lives (Pingap's path). */
export function acmeStateFile(domain: string, home = homedir()): string {
  return join(
    home,
    '.pingap',
    'acme',
    `${list(domain)
      .join(',')
      .replace(/[^A-Za-z0-9.-]/g, '_')}.toml`,
  )
}

/** How the quick-start server is secured. */
export type QuickStartTls =
  | { readonly kind: 'none' }
  | { readonly kind: 'files'; readonly cert: string; readonly key: string }
  | { readonly kind: 'acme'; readonly withCertificateItem: boolean }

/** The TOML for `--upstream a,b [--domain x,y] [--addr ip:port] [--cert … --key …]`. */
export function quickStartToml(options: QuickStartOptions, tls: QuickStartTls): string {
  const quote = (s: string): string => JSON.stringify(s)
  const domains = options.domain !== undefined ? list(options.domain).join(',') : ''
  const secure = tls.kind !== 'none'
  const lines = [
    '[upstreams.pingap]',
    `addrs = [${list(options.upstream).map(quote).join(', ')}]`,
    '',
    '[locations.pingap]',
    'upstream = "pingap"',
    'path = "/"',
  ]
  if (domains !== '') lines.push(`host = ${quote(domains)}`)
  lines.push(
    '',
    '[servers.pingap]',
    `addr = ${quote(options.addr ?? (secure ? '0.0.0.0:443' : '0.0.0.0:80'))}`,
    'access_log = "combined"',
    'locations = ["pingap"]',
  )
  if (secure) lines.push('global_certificates = true', 'enabled_h2 = true')
  if (tls.kind === 'files') {
    lines.push('', '[certificates.pingap]', `tls_cert = ${quote(tls.cert)}`)
    lines.push(`tls_key = ${quote(tls.key)}`, 'is_default = true')
    if (domains !== '') lines.push(`domains = ${quote(domains)}`)
  } else if (tls.kind === 'acme' && tls.withCertificateItem) {
    lines.push('', '[certificates.pingap]', 'acme = "lets_encrypt"', `domains = ${quote(domains)}`)
    lines.push('is_default = true')
  }
  lines.push('')
  return lines.join('\n')
}
