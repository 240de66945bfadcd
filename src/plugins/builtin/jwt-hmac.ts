/** HMAC JSON Web Tokens (HS256/384/512): verification and minting with node:crypto. */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The HMAC algorithms pingap-ts supports. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number]

const DIGEST: Readonly<Record<HmacAlgorithm, string>> = {
  HS256: 'sha256',
  HS384: 'sha384',
  HS512: 'sha512',
}

/** Why a token was refused; each maps to one of Pingap's 401 texts. */
export type JwtFailure = 'format' | 'invalid' | 'expired'

function sign(algorithm: HmacAlgorithm, secret: string, input: string): Buffer {
  return createHmac(DIGEST[algorithm], secret).update(input).digest()
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown
  } catch {
    return undefined
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Verifies a compact JWT signed with `secret` using one of `allowed`; checks `exp` (seconds)
 * only when present, with no leeway, as Pingap's HMAC path does.
 */
export function verifyHmacJwt(
  token: string,
  secret: string,
  allowed: readonly HmacAlgorithm[],
  nowSeconds: number,
): JwtFailure | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return 'format'
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts
  const header = decodeJson(headerPart)
  const alg = isObject(header) ? header['alg'] : undefined
  const algorithm = allowed.find((a) => a === alg)
  if (algorithm === undefined) return 'invalid'
  const expected = sign(algorithm, secret, `${headerPart}.${payloadPart}`)
  const given = Buffer.from(signaturePart, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid'
  const payload = decodeJson(payloadPart)
  if (!isObject(payload)) return 'invalid'
  const exp = payload['exp']
  if (exp !== undefined && (typeof exp !== 'number' || exp < nowSeconds)) return 'expired'
  return undefined
}

/**
 * Signs a body of claims as it streams, for minting: the output is `{"token":"<jwt>"}`, written
 * chunk by chunk (base64url of the claims as they arrive, the signature at the end), so a body of
 * any size is never held whole. Bytes whose base64 group is incomplete (at most 2) wait for the
 * next chunk. Same bytes as `{"token": signHmacJwt(...)}` serialised by JSON.stringify.
 */
export function hmacJwtStreamSigner(
  algorithm: HmacAlgorithm,
  secret: string,
): (chunk: Buffer, end: boolean) => Buffer | null {
  const hmac = createHmac(DIGEST[algorithm], secret)
  let carry: Buffer | undefined
  let prefix: string | undefined =
    `${Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT' })).toString('base64url')}.`
  hmac.update(prefix)
  prefix = `{"token":"${prefix}`
  return (chunk, end) => {
    const data = carry === undefined ? chunk : Buffer.concat([carry, chunk])
    const whole = end ? data.length : data.length - (data.length % 3)
    carry = whole < data.length ? Buffer.from(data.subarray(whole)) : undefined
    const text = data.subarray(0, whole).toString('base64url')
    hmac.update(text)
    let out = prefix === undefined ? text : prefix + text
    prefix = undefined
    if (end) out += `.${hmac.digest('base64url')}"}`
    return out === '' ? null : Buffer.from(out, 'latin1')
  }
}

/** Signs `payload` (the claims JSON, as bytes) into a compact JWT. */
export function signHmacJwt(algorithm: HmacAlgorithm, secret: string, payload: Buffer): string {
  const header = Buffer.from(JSON.stringify({ alg: algorithm, typ: 'JWT' })).toString('base64url')
  const input = `${header}.${payload.toString('base64url')}`
  return `${input}.${sign(algorithm, secret, input).toString('base64url')}`
}
