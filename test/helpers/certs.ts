/**
 * Test certificates made in-process with @peculiar/x509 (EC P-256): CAs, leaves with SAN lists,
 * chosen validity dates (expired ones included) and leaves signed by a CA.
 */
import { webcrypto, createPrivateKey } from 'node:crypto'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as never)

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
const DAY = 86_400_000

export interface TestCert {
  /** The certificate alone. */
  readonly cert: string
  /** The certificate followed by its issuer (equal to `cert` when self-signed). */
  readonly chain: string
  readonly key: string
  readonly signingKey: webcrypto.CryptoKey
  readonly subject: string
}

export interface CertOptions {
  readonly cn?: string
  readonly dns?: readonly string[]
  readonly ips?: readonly string[]
  readonly notBefore?: Date
  readonly notAfter?: Date
  readonly issuer?: TestCert
  readonly ca?: boolean
}

function keyPem(pkcs8: ArrayBuffer): string {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString()
}

let serial = 1

/** Makes a certificate; self-signed unless `issuer` is given. */
export async function makeCert(options: CertOptions = {}): Promise<TestCert> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])
  const cn = options.cn ?? options.dns?.[0] ?? 'test'
  const subject = `CN=${cn}`
  const names = [
    ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ]
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(options.ca === true)]
  if (options.ca === true) {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true))
  }
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names))
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject,
    issuer: options.issuer?.subject ?? subject,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 90 * DAY),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: options.issuer?.signingKey ?? keys.privateKey,
    extensions,
  })
  const pem = cert.toString('pem')
  return {
    cert: pem,
    chain: options.issuer !== undefined ? `${pem}\n${options.issuer.cert}` : pem,
    key: keyPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    signingKey: keys.privateKey,
    subject,
  }
}

/** A CA certificate that can sign leaves. */
export function makeCa(cn = 'pingap-ts test CA'): Promise<TestCert> {
  return makeCert({ cn, ca: true, notAfter: new Date(Date.now() + 3650 * DAY) })
}
