/**
 * Mints leaf certificates signed by an `is_ca` certificate, one per SNI name, cached (spec
 * §1.10: not-before = now − 1 day, not-after = min(CA expiry, now + 2 years)). node:crypto
 * cannot sign certificates, so @peculiar/x509 is loaded on first use only.
 */
import { createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto'
import { createSecureContext, type SecureContext } from 'node:tls'
import type * as X509 from '@peculiar/x509'
import { logger } from '../core/logger.ts'

const log = logger.child({ module: 'tls' })

const DAY_MS = 86_400_000
const MAX_LIFETIME_MS = 730 * DAY_MS
/** Minted contexts kept per CA; the oldest is dropped beyond this. */
const CACHE_LIMIT = 1_000

type X509Module = typeof X509
let x509Module: Promise<X509Module> | undefined

function loadX509(): Promise<X509Module> {
  x509Module ??= import('@peculiar/x509').then((m) => {
    // Its `Crypto` type is the DOM's, which this Node-only build does not load.
    m.cryptoProvider.set(webcrypto as never)
    return m
  })
  return x509Module
}

type SignAlgorithm = webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams

function signAlgorithm(key: KeyObject): SignAlgorithm & { hash?: string } {
  const type = key.asymmetricKeyType
  if (type === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    const namedCurve = curve === 'secp384r1' ? 'P-384' : curve === 'secp521r1' ? 'P-521' : 'P-256'
    return { name: 'ECDSA', namedCurve, hash: namedCurve === 'P-256' ? 'SHA-256' : 'SHA-384' }
  }
  throw new Error(`a ${String(type)} CA key cannot sign minted certificates (use RSA or EC)`)
}

/** Signs and caches one leaf per name for a CA certificate. */
export class LeafMinter {
  readonly #caPem: string
  readonly #caKey: KeyObject
  readonly #caNotAfter: Date
  readonly #cache = new Map<string, Promise<SecureContext>>()

  constructor(caPem: string, caKey: KeyObject, caNotAfter: Date) {
    this.#caPem = caPem
    this.#caKey = caKey
    this.#caNotAfter = caNotAfter
  }

  /** The SecureContext for `servername`, minted on first use. */
  context(servername: string): Promise<SecureContext> {
    let found = this.#cache.get(servername)
    if (found === undefined) {
      if (this.#cache.size >= CACHE_LIMIT) {
        const oldest = this.#cache.keys().next().value
        if (oldest !== undefined) this.#cache.delete(oldest)
      }
      found = this.#mint(servername)
      // A failed mint is retried on the next handshake, not cached.
      found.catch(() => this.#cache.delete(servername))
      this.#cache.set(servername, found)
    }
    return found
  }

  async #mint(servername: string): Promise<SecureContext> {
    const x509 = await loadX509()
    const subtle = webcrypto.subtle
    const algorithm = signAlgorithm(this.#caKey)
    const der = this.#caKey.export({ type: 'pkcs8', format: 'der' })
    const signingKey = await subtle.importKey('pkcs8', der, algorithm, false, ['sign'])
    const leafAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' }
    const keys = await subtle.generateKey(leafAlgorithm, true, ['sign', 'verify'])
    const ca = new x509.X509Certificate(this.#caPem)
    const now = Date.now()
    const notAfter = Math.min(this.#caNotAfter.getTime(), now + MAX_LIFETIME_MS)
    const isIp = /^[\d.]+$|:/.test(servername)
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: `01${randomBytes(15).toString('hex')}`,
      subject: `CN=${servername.replace(/[,=+<>#;\\"]/g, '')}`,
      issuer: ca.subject,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(notAfter),
      signingAlgorithm: algorithm,
      publicKey: keys.publicKey,
      signingKey,
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: isIp ? 'ip' : 'dns', value: servername },
        ]),
        new x509.BasicConstraintsExtension(false),
        new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1']),
      ],
    })
    const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey))
    const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
      type: 'pkcs8',
      format: 'pem',
    })
    log.info('minted a certificate', { servername, issuer: ca.subject })
    return createSecureContext({ cert: `${cert.toString('pem')}\n${this.#caPem}`, key: keyPem })
  }
}
