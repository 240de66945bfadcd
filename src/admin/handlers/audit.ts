/** `GET /audit?since=&actor=&action=&limit=`: audit entries, newest first. */
import type { Handler } from '../context.ts'
import { json } from '../http.ts'

export const queryAudit: Handler = (req, ctx) => {
  const limit = Number(req.query.get('limit') ?? 100) || 100
  const entries = ctx.audit.query({
    limit,
    ...(req.query.get('since') !== null ? { since: req.query.get('since') as string } : {}),
    ...(req.query.get('actor') !== null ? { actor: req.query.get('actor') as string } : {}),
    ...(req.query.get('action') !== null ? { action: req.query.get('action') as string } : {}),
  })
  return json(200, { entries })
}
