/**
 * The one SNI store shared by every TLS server (spec §4.2): exact name → `*.parent` → the
 * `is_default` certificate → no certificate (handshake refused, logged). It is built with the
 * snapshot, so a reload swaps certificates for new handshakes while open connections keep
 * theirs.
 */
import type { SecureContext } from 'node:tls'
import type { CertificateConf, SourceMap } from '../config/types.ts'
import { ConfigError, ConfigErrors } from '../core/errors.ts'
import { logger } from '../core/logger.ts'
import {
  certificateHash,
  hasKeyPair,
  loadCertificate,
  sniKey,
  type LoadedCertificate,
} from './certificate.ts'
import { acmeSettings, usesHttp01 } from './acme-conf.ts'
import { LeafMinter } from './mint.ts'

const log = logger.child({ module: 'tls' })

/** A certificate in the store, with the minter of a CA. */
export interface SniEntry {
  readonly cert: LoadedCertificate
  readonly minter: LeafMinter | undefined
}

type SniCallback = (err: Error | null, ctx?: SecureContext) => void

/** Unknown-SNI refusals are logged at most once per this interval (floods stay cheap). */
const REFUSAL_LOG_INTERVAL_MS = 10_000

let refusals = 0
let lastRefusalLog = 0

function logRefusal(servername: string): void {
  refusals++
  const now = Date.now()
  if (now - lastRefusalLog < REFUSAL_LOG_INTERVAL_MS) return
  log.warn('no certificate matches the SNI name; handshake refused', {
    servername,
    refusedSinceLastLog: refusals,
  })
  refusals = 0
  lastRefusalLog = now
}

/** The key pair of the default certificate, for handshakes that send no SNI. */
export interface DefaultKeyPair {
  readonly cert: string
  readonly key: string
}

export class SniStore {
  readonly #byName = new Map<string, SniEntry>()
  readonly #default: SniEntry | undefined
  readonly #entries: ReadonlyMap<string, SniEntry>
  /** Some certificate is validated by ACME HTTP-01: plain servers answer challenges. */
  readonly http01: boolean

  constructor(entries: ReadonlyMap<string, SniEntry>, http01 = false) {
    this.#entries = entries
    this.http01 = http01
    let fallback: SniEntry | undefined
    // Sorted by item name, so the winner of a name claimed twice does not depend on file order.
    for (const name of [...entries.keys()].sort()) {
      const entry = entries.get(name) as SniEntry
      for (const domain of entry.cert.domains) {
        if (!this.#byName.has(domain)) this.#byName.set(domain, entry)
      }
      if (entry.cert.isDefault && fallback === undefined) fallback = entry
    }
    this.#default = fallback
  }

  /** Every loaded certificate (validity checks, admin status). */
  get certificates(): LoadedCertificate[] {
    return [...this.#entries.values()].map((e) => e.cert)
  }

  /** The default certificate's PEM pair, or undefined (no-SNI handshakes then fail). */
  get defaultKeyPair(): DefaultKeyPair | undefined {
    const cert = this.#default?.cert
    if (cert === undefined || cert.isCa) return undefined
    return { cert: cert.certPem, key: cert.keyPem }
  }

  /** The certificate serving `servername`: exact, then `*.parent`, then the default. */
  lookup(servername: string): LoadedCertificate | undefined {
    return this.#find(sniKey(servername))?.cert
  }

  #find(name: string): SniEntry | undefined {
    const exact = this.#byName.get(name)
    if (exact !== undefined) return exact
    const dot = name.indexOf('.')
    if (dot > 0) {
      const wildcard = this.#byName.get(`*${name.slice(dot)}`)
      if (wildcard !== undefined) return wildcard
    }
    return this.#default
  }

  /** `SNICallback` of the TLS servers. */
  select(servername: string, callback: SniCallback): void {
    const name = sniKey(servername)
    const entry = this.#find(name)
    if (entry === undefined) {
      logRefusal(name)
      callback(new Error(`no certificate for "${name}"`))
      return
    }
    if (entry.minter === undefined) {
      callback(null, entry.cert.context)
      return
    }
    entry.minter.context(name).then(
      (ctx) => callback(null, ctx),
      (err: unknown) => {
        log.error('cannot mint a certificate', { servername: name, ca: entry.cert.name, err })
        callback(err instanceof Error ? err : new Error(String(err)))
      },
    )
  }

  /** The entry of item `name` when its hash is `hash` (reuse across reloads). */
  reusable(name: string, hash: string): SniEntry | undefined {
    const entry = this.#entries.get(name)
    return entry?.cert.hash === hash ? entry : undefined
  }
}

function loadEntry(name: string, conf: CertificateConf, previous: SniStore | undefined): SniEntry {
  const reused = previous?.reusable(name, certificateHash(name, conf))
  if (reused !== undefined) return reused
  const cert = loadCertificate(name, conf)
  return {
    cert,
    minter: cert.isCa ? new LeafMinter(cert.certPem, cert.key, cert.notAfter) : undefined,
  }
}

/**
 * Builds the store from `[certificates.*]`, reusing unchanged entries of `previous` (and so their
 * minted leaves). Items without both `tls_cert` and `tls_key` are skipped (ACME not yet done).
 * Throws ConfigErrors listing every certificate that cannot be loaded.
 */
export function buildSniStore(
  certificates: Readonly<Record<string, CertificateConf>>,
  previous?: SniStore,
  sources?: SourceMap,
): SniStore {
  const entries = new Map<string, SniEntry>()
  const errors: ConfigError[] = []
  for (const [name, conf] of Object.entries(certificates)) {
    try {
      // The ACME keys are checked here too, so `-t` reports them.
      acmeSettings(name, conf)
      if (!hasKeyPair(conf)) continue
      entries.set(name, loadEntry(name, conf, previous))
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      errors.push(err.withFile(sources?.get(`certificates.${name}`)))
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors)
  return new SniStore(entries, usesHttp01({ certificates }))
}

/** An empty store (no TLS server can complete a handshake). */
export const EMPTY_SNI_STORE = new SniStore(new Map())
