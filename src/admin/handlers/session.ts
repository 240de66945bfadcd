/**
 * `POST /login` (public), `POST /logout`, `GET /session` and `POST /password-hash` (a hash to
 * put in `basic.admin_users`). A login sets the session cookie (HttpOnly, SameSite=Strict, the
 * admin max_age) and returns the CSRF token the UI sends with each write; with `"token": true`
 * it also returns the session id for `Authorization: Bearer`.
 */
import { SESSION_COOKIE } from '../auth.ts'
import type { AdminContext, AdminRequest, Handler } from '../context.ts'
import { AdminError, badRequest } from '../errors.ts'
import { json, jsonObject } from '../http.ts'
import { hashPassword } from '../password.ts'
import type { Session } from '../sessions.ts'

function cookie(ctx: AdminContext, value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=${ctx.cookiePath}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`
}

function sessionBody(session: Session): Record<string, unknown> {
  return {
    user: session.user,
    csrfToken: session.csrf,
    expiresAt: new Date(session.expiresAt).toISOString(),
  }
}

/** Thrown by a failed login: the server counts it towards the IP's lock-out. */
export class LoginFailed extends AdminError {
  override name = 'LoginFailed'

  constructor() {
    super('PGT_ERR_ADMIN_UNAUTHORIZED', [], { detail: 'wrong user name or password' })
  }
}

export const login: Handler = async (req, ctx) => {
  const body = jsonObject(req.body)
  const user = typeof body['user'] === 'string' ? body['user'] : ''
  const password = typeof body['password'] === 'string' ? body['password'] : ''
  if (user === '' || password === '') throw badRequest('"user" and "password" are required')
  if (!(await ctx.users.verify(user, password))) {
    ctx.audit.append({
      actor: user.slice(0, 100),
      actorKind: 'user',
      ip: req.ip,
      action: 'auth.failed',
      result: 'rejected',
      detail: 'login',
    })
    throw new LoginFailed()
  }
  const session = ctx.sessions.create(user)
  ctx.audit.append({
    actor: user,
    actorKind: 'user',
    ip: req.ip,
    action: 'auth.login',
    result: 'ok',
  })
  const response = {
    ...sessionBody(session),
    ...(body['token'] === true ? { token: session.id } : {}),
  }
  return json(200, response, {
    'set-cookie': cookie(ctx, session.id, Math.floor(ctx.sessions.ttlMs / 1000)),
  })
}

function currentSession(req: AdminRequest): Session | undefined {
  return req.principal?.session
}

export const logout: Handler = (req, ctx) => {
  const session = currentSession(req)
  if (session !== undefined) ctx.sessions.destroy(session.id)
  ctx.audit.append({
    actor: req.principal?.user ?? '',
    actorKind: 'user',
    ip: req.ip,
    action: 'auth.logout',
    result: 'ok',
  })
  return json(200, { ok: true }, { 'set-cookie': cookie(ctx, '', 0) })
}

/** Who is logged in; scripts (Basic, signed) get their user name and no CSRF token. */
export const getSession: Handler = (req) => {
  const session = currentSession(req)
  if (session !== undefined) return json(200, sessionBody(session))
  return json(200, { user: req.principal?.user ?? '', csrfToken: null, expiresAt: null })
}

/** `{ "password": "…" }` → `{ "hash": "scrypt$…" }` for `basic.admin_users`. */
export const passwordHash: Handler = async (req) => {
  const body = jsonObject(req.body)
  const password = body['password']
  if (typeof password !== 'string' || password.length < 8) {
    throw badRequest('"password" must be a string of at least 8 characters')
  }
  return json(200, { hash: await hashPassword(password) })
}
