/**
 * Admin sessions for the web UI: a random id in an HttpOnly, SameSite=Strict cookie, and a CSRF
 * token bound to the session that every write must echo in `X-CSRF-Token`. Sessions live in
 * memory (a restart logs everyone out) and expire after the admin `max_age`.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'

export interface Session {
  readonly id: string
  readonly user: string
  readonly csrf: string
  readonly expiresAt: number
}

/** Sessions kept at most; the oldest is dropped beyond this (a flood of logins stays bounded). */
const MAX_SESSIONS = 10_000

/** Constant-time comparison of two tokens. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export class SessionStore {
  readonly #ttlMs: number
  readonly #sessions = new Map<string, Session>()

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs
  }

  get ttlMs(): number {
    return this.#ttlMs
  }

  /** Opens a session for `user`. */
  create(user: string, now = Date.now()): Session {
    this.#sweep(now)
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: now + this.#ttlMs,
    }
    this.#sessions.set(session.id, session)
    if (this.#sessions.size > MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next().value
      if (oldest !== undefined) this.#sessions.delete(oldest)
    }
    return session
  }

  /** The live session with this id. */
  get(id: string | undefined, now = Date.now()): Session | undefined {
    if (id === undefined || id === '') return undefined
    const session = this.#sessions.get(id)
    if (session === undefined) return undefined
    if (session.expiresAt <= now) {
      this.#sessions.delete(id)
      return undefined
    }
    return session
  }

  destroy(id: string): void {
    this.#sessions.delete(id)
  }

  #sweep(now: number): void {
    for (const [id, session] of this.#sessions) {
      if (session.expiresAt <= now) this.#sessions.delete(id)
    }
  }
}
