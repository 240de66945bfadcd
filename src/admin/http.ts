/**
 * HTTP plumbing of the admin server: bodies, JSON/TOML input, responses and the error body
 * `{ code, message, ...details }` whose status comes from the error table (architecture §2.9).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { parseToml } from '../config/toml.ts'
import type { RawTable } from '../config/types.ts'
import { ConfigError, ConfigErrors, isPingapError } from '../core/errors.ts'
import { jsonResponse, type HttpResponse } from '../core/http-response.ts'
import { logger } from '../core/logger.ts'
import { AdminError, badRequest, InvalidConfig } from './errors.ts'
import { issuesOf } from './issues.ts'

const log = logger.child({ module: 'admin' })

/** Largest request body accepted (a whole config import). */
export const MAX_BODY_BYTES = 4 * 1024 * 1024

const NO_STORE = { 'cache-control': 'no-store' }

/** Reads the whole body; rejects with 413 beyond MAX_BODY_BYTES. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        reject(new AdminError('PGT_ERR_BODY_TOO_LARGE', [String(limit)]))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** The media type of a request, lower-case, without parameters. */
export function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

/** True for the body types the API accepts (a cross-site form can send none of them). */
export function isApiMediaType(type: string): boolean {
  return (
    type === 'application/json' ||
    type === 'application/merge-patch+json' ||
    type === 'application/toml'
  )
}

function isTable(value: unknown): value is RawTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Parses a JSON body that must be an object (an empty body is `{}`). */
export function jsonObject(body: Buffer): RawTable {
  if (body.length === 0) return {}
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw badRequest(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!isTable(value)) throw badRequest('the body must be a JSON object')
  return value
}

/** Parses a TOML body; syntax errors become a 422 with the line and column. */
export function tomlObject(body: Buffer): RawTable {
  try {
    return parseToml(body.toString('utf8'), undefined)
  } catch (err) {
    throw new InvalidConfig(issuesOf(err))
  }
}

/** A JSON response that is never cached. */
export function json(status: number, value: unknown, headers: Record<string, string> = {}) {
  return jsonResponse(status, value, { ...NO_STORE, ...headers })
}

/** A text response that is never cached. */
export function text(status: number, body: string, type = 'text/plain; charset=utf-8') {
  return { status, headers: { ...NO_STORE, 'content-type': type }, body: Buffer.from(body) }
}

/** The response for an error thrown by a handler. */
export function errorResponse(err: unknown): HttpResponse {
  if (err instanceof AdminError) {
    return json(err.status, { code: err.code, message: err.message, ...err.details })
  }
  if (err instanceof ConfigErrors || err instanceof ConfigError) {
    return errorResponse(new InvalidConfig(issuesOf(err)))
  }
  if (isPingapError(err)) return json(err.status, { code: err.code, message: err.message })
  log.error('admin request failed', { err })
  const message = err instanceof Error ? err.message : String(err)
  return json(500, { code: 'PGT_ERR_INTERNAL', message: `internal error: ${message}` })
}

/** Writes a response (HEAD gets the headers only). */
export function send(req: IncomingMessage, res: ServerResponse, response: HttpResponse): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': response.body.length,
    'x-content-type-options': 'nosniff',
  })
  res.end(req.method === 'HEAD' ? undefined : response.body)
}
