/** Verifies asymmetric JWTs with jose, against a static public key or a JWKS. */
import type { KeyObject } from 'node:crypto'
import type { JWTVerifyGetKey } from 'jose'
import { loadJose } from './jose-module.ts'
import type { AsymmetricAlgorithm } from './jwt-keys.ts'
import type { JwksCache } from './jwks-cache.ts'
import type { JwtFailure } from './jwt-hmac.ts'

/** Seconds of clock skew allowed on `exp` and `nbf`: the default of the library Pingap uses. */
export const LEEWAY_SECONDS = 60

/**
 * Checks the signature with `key` (pinned to `algorithms`, never trusting the token's own
 * `alg` beyond that list) and the claims: `exp` is required, as Pingap's asymmetric path
 * requires it; `aud` is not checked.
 */
export async function verifyAsymmetric(
  token: string,
  key: KeyObject | JWTVerifyGetKey,
  algorithms: readonly AsymmetricAlgorithm[],
): Promise<JwtFailure | undefined> {
  const { errors, jwtVerify } = await loadJose()
  try {
    await jwtVerify(token, key, {
      algorithms: [...algorithms],
      clockTolerance: LEEWAY_SECONDS,
      requiredClaims: ['exp'],
    })
    return undefined
  } catch (err) {
    // Everything else (bad signature, unknown kid, JWKS down, wrong key type) is "invalid".
    return err instanceof errors.JWTExpired ? 'expired' : 'invalid'
  }
}

/** A jose key resolver over `cache` that refuses tokens without a `kid`, as Pingap does. */
export function jwksResolver(cache: JwksCache): JWTVerifyGetKey {
  return async (header, token) => {
    if (typeof header.kid !== 'string' || header.kid === '') {
      const { errors } = await loadJose()
      throw new errors.JWSInvalid('a token verified against a JWKS must name its key (kid)')
    }
    return cache.resolve(header, token)
  }
}
