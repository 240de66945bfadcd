/**
 * Who is calling (docs/admin.md "Authentication"): a session cookie (the UI), `Authorization:
 * Bearer <token>` (a token from `POST /api/v1/login`), `Authorization: Basic` (scripts), or
 * Pingap's signed form `Authorization: hex(sha256("user:pass:ts")):ts` for users given on the
 * command line. Only the cookie is sent by browsers on their own, so only cookie writes need the
 * CSRF token.
 */
import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { Session, SessionStore } from './sessions.ts'
import { sameToken } from './sessions.ts'
import type { UserDirectory } from './users.ts'

export const SESSION_COOKIE = 'pingap_admin'

/** An authenticated caller. */
export interface Principal {
  readonly user: string
  readonly via: 'session' | 'bearer' | 'basic' | 'signed'
  /** Set for `session` and `bearer`. */
  readonly session?: Session
}

/** `attempted` is false when the request carried no credentials at all. */
export type AuthResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly attempted: boolean }

/** The value of one cookie in a `Cookie` header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

const SIGNED = /^([0-9a-f]{64}):(\d{1,12})$/i

export class Authenticator {
  readonly #users: UserDirectory
  readonly #sessions: SessionStore
  readonly #maxAgeMs: number

  constructor(users: UserDirectory, sessions: SessionStore, maxAgeMs: number) {
    this.#users = users
    this.#sessions = sessions
    this.#maxAgeMs = maxAgeMs
  }

  /** Checks whatever credentials the request carries. */
  async authenticate(headers: IncomingHttpHeaders, now = Date.now()): Promise<AuthResult> {
    const authorization = headers.authorization?.trim() ?? ''
    if (authorization !== '') return this.#fromHeader(authorization, now)
    const cookie = readCookie(headers.cookie, SESSION_COOKIE)
    if (cookie === undefined) return { ok: false, attempted: false }
    const session = this.#sessions.get(cookie, now)
    if (session === undefined) return { ok: false, attempted: true }
    return { ok: true, principal: { user: session.user, via: 'session', session } }
  }

  async #fromHeader(value: string, now: number): Promise<AuthResult> {
    const space = value.indexOf(' ')
    const scheme = space < 0 ? '' : value.slice(0, space).toLowerCase()
    const token = space < 0 ? value : value.slice(space + 1).trim()
    if (scheme === 'bearer') {
      const session = this.#sessions.get(token, now)
      if (session === undefined) return { ok: false, attempted: true }
      return { ok: true, principal: { user: session.user, via: 'bearer', session } }
    }
    if (scheme === 'basic') {
      const plain = Buffer.from(token, 'base64').toString('utf8')
      const colon = plain.indexOf(':')
      if (colon <= 0) return { ok: false, attempted: true }
      const user = plain.slice(0, colon)
      if (!(await this.#users.verify(user, plain.slice(colon + 1)))) {
        return { ok: false, attempted: true }
      }
      return { ok: true, principal: { user, via: 'basic' } }
    }
    const signed = scheme === '' ? SIGNED.exec(token) : null
    if (signed !== null) return this.#signed(signed[1] ?? '', signed[2] ?? '', now)
    return { ok: false, attempted: true }
  }

  // Pingap's UI form: the timestamp is in seconds and must be within max_age of now.
  #signed(hex: string, ts: string, now: number): AuthResult {
    if (Math.abs(now - Number(ts) * 1000) > this.#maxAgeMs) return { ok: false, attempted: true }
    for (const { user, password } of this.#users.cliUsers) {
      const expected = createHash('sha256').update(`${user}:${password}:${ts}`).digest('hex')
      if (sameToken(expected, hex.toLowerCase())) {
        return { ok: true, principal: { user, via: 'signed' } }
      }
    }
    return { ok: false, attempted: true }
  }
}
