/**
 * The `jwt` plugin: verifies tokens (HMAC secret, static public key or JWKS) and mints HMAC
 * tokens from the upstream's claims on `auth_path`.
 */
import type { RequestContext } from '../../core/context.ts'
import { textResponse, type HttpResponse } from '../../core/http-response.ts'
import { PluginOptions } from '../conf.ts'
import type { BodyFilter, PluginFactory, ResponseHead } from '../types.ts'
import { removeHeader, setHeader } from './headers.ts'
import { loadJose } from './jose-module.ts'
import { JwksCache } from './jwks-cache.ts'
import { JWT_KEYS, parseJwtConf, type JwtConf } from './jwt-conf.ts'
import { hmacJwtStreamSigner, verifyHmacJwt, type JwtFailure } from './jwt-hmac.ts'
import { jwksResolver, verifyAsymmetric } from './jwt-verify.ts'
import { delayed, REQUEST_STEPS } from './shared.ts'

type Verdict = JwtFailure | undefined
type Verify = (token: string) => Verdict | Promise<Verdict>

const MISSING = Object.freeze(textResponse(401, 'Jwt authorization is missing'))
const FAILURES: Readonly<Record<JwtFailure, HttpResponse>> = {
  format: Object.freeze(textResponse(401, 'Jwt authorization format is invalid')),
  invalid: Object.freeze(textResponse(401, 'Jwt authorization is invalid')),
  expired: Object.freeze(textResponse(401, 'Jwt authorization is expired')),
}

/** True when this response is a successful answer on `auth_path`, whose body becomes a token. */
function minting(conf: JwtConf, ctx: RequestContext, head: ResponseHead): boolean {
  return (
    conf.authPath !== '' && ctx.path === conf.authPath && head.status >= 200 && head.status < 300
  )
}

/** Streams `{"token":"<jwt>"}` signing the claims as they arrive (never holding the body). */
function mintFilter(conf: JwtConf): BodyFilter {
  return hmacJwtStreamSigner(conf.mintAlgorithm, conf.secret)
}

function answer(conf: JwtConf, failure: Verdict): HttpResponse | undefined | Promise<HttpResponse> {
  if (failure === undefined) return undefined
  return failure === 'invalid' ? delayed(conf.delayMs, FAILURES.invalid) : FAILURES[failure]
}

/** The verifier of one instance; a JWKS cache lives as long as the instance. */
function verifier(conf: JwtConf, cache: JwksCache | undefined): Verify {
  const mode = conf.mode
  if (mode.kind === 'hmac') {
    return (token) =>
      verifyHmacJwt(token, conf.secret, mode.algorithms, Math.floor(Date.now() / 1000))
  }
  const key = mode.kind === 'key' ? mode.key : jwksResolver(cache as JwksCache)
  return (token) => verifyAsymmetric(token, key, mode.algorithms)
}

/** Verifies JWTs from a header, cookie or query; mints tokens on `auth_path`. */
export const jwt: PluginFactory<JwtConf> = {
  category: 'jwt',
  steps: REQUEST_STEPS,
  defaultStep: 'request',

  parse(raw, path) {
    return parseJwtConf(new PluginOptions(raw, path, JWT_KEYS))
  },

  create({ name, hash, step, conf }) {
    const mode = conf.mode
    const cache =
      mode.kind === 'jwks'
        ? new JwksCache({ url: mode.url, ttlMs: mode.ttlMs, plugin: name })
        : undefined
    const verify = verifier(conf, cache)
    // jose loads on demand; start loading it now so the first token does not wait for it.
    if (mode.kind !== 'hmac') loadJose().catch(() => undefined)
    return {
      category: 'jwt',
      name,
      hash,
      step,
      onRequest(ctx) {
        if (conf.authPath !== '' && ctx.path === conf.authPath) {
          // The claims are signed as bytes: ask the upstream for an uncompressed body.
          delete ctx.headers['accept-encoding']
          return undefined
        }
        const token = conf.token(ctx)
        if (token === undefined || token === '') return MISSING
        if (token.split('.').length !== 3) return FAILURES.format
        const verdict = verify(token)
        return verdict instanceof Promise
          ? verdict.then((v) => answer(conf, v))
          : answer(conf, verdict)
      },
      onResponse(ctx, head) {
        if (!minting(conf, ctx, head)) return
        removeHeader(head.headers, 'content-length')
        removeHeader(head.headers, 'content-encoding')
        setHeader(head.headers, 'content-type', 'application/json; charset=utf-8')
      },
      onResponseBody(ctx, head) {
        return minting(conf, ctx, head) ? mintFilter(conf) : undefined
      },
      // Fetch the key set before the first request needs it.
      ...(cache === undefined
        ? {}
        : { start: () => void cache.refresh(), close: () => cache.close() }),
    }
  },
}
