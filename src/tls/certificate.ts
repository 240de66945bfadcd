/**
 * Loads one `[certificates.<name>]` item into what the TLS servers need: the PEM chain and key,
 * the parsed leaf (validity dates, SAN list) and, for ordinary certificates, a ready
 * SecureContext. Every problem is a ConfigError naming `certificates.<name>.<key>`.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { CertificateConf } from '../config/types.ts'
import { ConfigError } from '../core/errors.ts'
import { hashConfig } from '../core/hash.ts'
import { logger } from '../core/logger.ts'
import { readPemSource } from './pem-source.ts'

const log = logger.child({ module: 'tls' })

/** Days before expiry that trigger the validity warning when `buffer_days` is 0 or unset. */
export const DEFAULT_WARNING_DAYS = 7

/** A certificate ready for the SNI store. */
export interface LoadedCertificate {
  readonly name: string
  /** Hash of the resolved PEM texts and flags: equal hashes mean the same certificate. */
  readonly hash: string
  /** Lower-case SNI keys: host names, `*.parent` wildcards and IP literals. */
  readonly domains: readonly string[]
  readonly isDefault: boolean
  readonly isCa: boolean
  /** The leaf followed by the rest of the chain, as configured. */
  readonly certPem: string
  readonly keyPem: string
  readonly leaf: X509Certificate
  readonly key: KeyObject
  readonly notBefore: Date
  readonly notAfter: Date
  /** Warn when fewer than this many days remain. */
  readonly warningDays: number
  /** undefined for a CA, whose leaves are minted per name. */
  readonly context: SecureContext | undefined
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

function invalid(name: string, key: string, why: string): ConfigError {
  return new ConfigError('PGT_ERR_CONFIG_INVALID', `certificates.${name}.${key}`, [why])
}

/** Splits a PEM bundle into its certificates (leaf first). */
export function splitPemChain(pem: string): string[] {
  return pem.match(CERT_BLOCK) ?? []
}

function parseChain(name: string, pem: string): X509Certificate[] {
  const blocks = splitPemChain(pem)
  if (blocks.length === 0) throw invalid(name, 'tls_cert', 'no CERTIFICATE block found')
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block)
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      throw invalid(name, 'tls_cert', `certificate #${i + 1} cannot be parsed: ${why}`)
    }
  })
}

function parseKey(name: string, pem: string): KeyObject {
  try {
    return createPrivateKey(pem)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw invalid(name, 'tls_key', `private key cannot be parsed: ${why}`)
  }
}

/** The DNS names and IP addresses of a certificate's subjectAltName extension. */
export function sanNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName
  if (san === undefined) return []
  const names: string[] = []
  for (const part of san.split(/,\s*/)) {
    if (part.startsWith('DNS:')) names.push(part.slice(4))
    else if (part.startsWith('IP Address:')) names.push(part.slice(11))
  }
  return names
}

/** Normalises one SNI key: lower case, no trailing dot. */
export function sniKey(name: string): string {
  const n = name.trim().toLowerCase()
  return n.endsWith('.') ? n.slice(0, -1) : n
}

function domainsOf(conf: CertificateConf, leaf: X509Certificate): string[] {
  const listed = (conf.domains ?? '')
    .split(',')
    .map(sniKey)
    .filter((d) => d !== '')
  return listed.length > 0 ? listed : sanNames(leaf).map(sniKey)
}

/** Whether `conf` holds a certificate to load (Pingap skips items without both parts). */
export function hasKeyPair(conf: CertificateConf): boolean {
  return (conf.tls_cert ?? '').trim() !== '' && (conf.tls_key ?? '').trim() !== ''
}

/** The certificate text of `conf` and its hash, without parsing (cheap reuse check). */
export function certificateHash(name: string, conf: CertificateConf): string {
  const cert = readPemSource(conf.tls_cert ?? '', `certificates.${name}.tls_cert`)
  const key = readPemSource(conf.tls_key ?? '', `certificates.${name}.tls_key`)
  return hashConfig({ ...conf, tls_cert: cert, tls_key: key })
}

/** Loads and checks one certificate; call only when hasKeyPair(conf). */
export function loadCertificate(name: string, conf: CertificateConf): LoadedCertificate {
  const certPem = readPemSource(conf.tls_cert ?? '', `certificates.${name}.tls_cert`)
  const keyPem = readPemSource(conf.tls_key ?? '', `certificates.${name}.tls_key`)
  const chain = parseChain(name, certPem)
  const leaf = chain[0] as X509Certificate
  const key = parseKey(name, keyPem)
  if (!leaf.checkPrivateKey(key)) {
    throw invalid(name, 'tls_key', 'the private key does not match the certificate')
  }
  const isCa = conf.is_ca === true
  if (isCa && !leaf.ca) {
    // Pingap signs with it anyway (its transparent-proxy sample ships such a certificate), so
    // it is accepted; clients that check the chain will refuse what it signs, hence the warning.
    log.warn(
      'is_ca certificate without the CA basic constraint: clients that verify the chain will refuse the certificates minted with it',
      {
        key: `certificates.${name}.is_ca`,
      },
    )
  }
  let context: SecureContext | undefined
  if (!isCa) {
    try {
      context = createSecureContext({ cert: certPem, key: keyPem })
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      throw invalid(name, 'tls_cert', `OpenSSL refused the certificate: ${why}`)
    }
  }
  const buffer = conf.buffer_days ?? 0
  return {
    name,
    hash: hashConfig({ ...conf, tls_cert: certPem, tls_key: keyPem }),
    domains: domainsOf(conf, leaf),
    isDefault: conf.is_default === true,
    isCa,
    certPem,
    keyPem,
    leaf,
    key,
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    warningDays: buffer > 0 ? buffer : DEFAULT_WARNING_DAYS,
    context,
  }
}
