/**
 * Answers ACME HTTP-01 challenges (spec §11.3) before routing, on plain-HTTP servers, from the
 * tokens the ACME task stored in the config store (`[storages.<token>]`, Pingap's layout), so any
 * process reading the same store can answer. Bad or unknown tokens get 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { PingapConfig } from '../config/types.ts'
import { logger } from '../core/logger.ts'
import { HTTP01_TOKEN_REMARK } from '../tls/index.ts'

const log = logger.child({ module: 'acme' })

/** The path prefix of HTTP-01 challenges (RFC 8555 §8.3). */
export const CHALLENGE_PREFIX = '/.well-known/acme-challenge/'
const TOKEN = /^[A-Za-z0-9_-]+$/

function reply(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'private, no-store',
  })
  res.end(body)
}

/** The key authorization stored for `token`, if any. */
export function storedKeyAuthorization(config: PingapConfig, token: string): string | undefined {
  if (!TOKEN.test(token) || !Object.hasOwn(config.storages, token)) return undefined
  const item = config.storages[token]
  // Only items the ACME task wrote: other storages (fragments, secrets) are never served.
  if (item?.remark !== HTTP01_TOKEN_REMARK || typeof item.value !== 'string') return undefined
  return item.value
}

/**
 * Answers `req` when it is an HTTP-01 challenge on a plain connection; false lets the request
 * continue to routing.
 */
export function answerChallenge(
  config: PingapConfig,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  const url = req.url ?? ''
  if (!url.startsWith(CHALLENGE_PREFIX)) return false
  if ((req.socket as TLSSocket).encrypted === true) return false
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const token = url.slice(CHALLENGE_PREFIX.length).split('?')[0] ?? ''
  const answer = storedKeyAuthorization(config, token)
  req.resume()
  if (answer === undefined) {
    log.warn('unknown ACME challenge token', { token: token.slice(0, 100) })
    reply(res, 404, 'Not Found')
    return true
  }
  log.info('answered an ACME challenge', { token })
  reply(res, 200, answer)
  return true
}
