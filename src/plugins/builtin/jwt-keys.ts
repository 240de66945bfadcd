/** Public keys for asymmetric JWTs: reading a PEM and the algorithms each key type can verify. */
import { createPublicKey, type KeyObject } from 'node:crypto'

/** Every asymmetric JWS algorithm pingap-ts verifies (RFC 7518 and RFC 8037 names). */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number]

const RSA: readonly AsymmetricAlgorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']
const EC_BY_CURVE: Readonly<Record<string, AsymmetricAlgorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
}

/** Finds `value` among the asymmetric algorithms, whatever its case (`eddsa` → `EdDSA`). */
export function asymmetricAlgorithm(value: string): AsymmetricAlgorithm | undefined {
  const wanted = value.trim().toLowerCase()
  return ASYMMETRIC_ALGORITHMS.find((a) => a.toLowerCase() === wanted)
}

/** The algorithms a public key can verify; empty for a key type JWTs cannot use. */
export function algorithmsForKey(key: KeyObject): readonly AsymmetricAlgorithm[] {
  const type = key.asymmetricKeyType
  if (type === 'rsa') return RSA
  if (type === 'ed25519') return ['EdDSA', 'Ed25519']
  if (type === 'ec') {
    const alg = EC_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? '']
    return alg === undefined ? [] : [alg]
  }
  // RSA-PSS-only keys cannot be turned into the WebCrypto keys jose verifies with.
  return []
}

/**
 * Reads a PEM public key (SPKI, PKCS#1 or an X.509 certificate); returns the reason as text
 * when it cannot be read or cannot verify JWTs.
 */
export function readPublicKey(pem: string): KeyObject | string {
  let key: KeyObject
  try {
    key = createPublicKey(pem.trim())
  } catch (err) {
    return `is not a PEM public key (${err instanceof Error ? err.message : String(err)})`
  }
  if (algorithmsForKey(key).length === 0) {
    const curve = key.asymmetricKeyDetails?.namedCurve
    const type = `${key.asymmetricKeyType ?? 'unknown'}${curve === undefined ? '' : ` ${curve}`}`
    return `is a ${type} key, which no JWT algorithm pingap-ts supports uses`
  }
  return key
}
