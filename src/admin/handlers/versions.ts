/** `GET /config/versions`, `/config/versions/{n}` and `/config/versions/{n}/diff?against=m`. */
import type { ConfigVersion } from '../../control/versions.ts'
import { versionMeta } from '../../control/versions.ts'
import type { AdminContext, Handler } from '../context.ts'
import { itemDiffs, changeEntries, unifiedDiff } from '../diff.ts'
import { notFound } from '../errors.ts'
import { globalEtag } from '../etag.ts'
import { json } from '../http.ts'
import { redactConfig } from '../redact.ts'
import { positiveInt } from './shared.ts'

function version(ctx: AdminContext, text: string | undefined): ConfigVersion {
  const n = positiveInt(text, 'the version')
  const found = ctx.versions.get(n)
  if (found === undefined) throw notFound(`version ${n}`)
  return found
}

/** Newest first; `?limit=` (default 50, at most 500) and `?before=`. */
export const listVersions: Handler = (req, ctx) => {
  const limit = Math.min(500, Number(req.query.get('limit') ?? 50) || 50)
  const before = req.query.get('before')
  const metas = ctx.versions.metas({
    limit,
    ...(before !== null ? { before: positiveInt(before, 'before') } : {}),
  })
  const current = ctx.editor.current()
  return json(200, {
    current: current.number,
    etag: globalEtag(current),
    versions: metas,
  })
}

/** One version: its meta and its config (secrets redacted). */
export const getVersion: Handler = (req, ctx) => {
  const found = version(ctx, req.params['n'])
  const { hash: _hash, ...config } = redactConfig(found.config)
  return json(200, { meta: versionMeta(found), config })
}

/** The structured and unified diff of version n against `against` (default: its parent). */
export const diffVersion: Handler = (req, ctx) => {
  const to = version(ctx, req.params['n'])
  const againstText = req.query.get('against')
  const parent = to.parent ?? to.number - 1
  const from =
    againstText !== null
      ? version(ctx, againstText)
      : parent >= 1
        ? ctx.versions.get(parent)
        : undefined
  const items = itemDiffs(from?.config, to.config)
  return json(200, {
    from: from?.number ?? null,
    to: to.number,
    changes: changeEntries(from?.config, to.config),
    items,
    unified: unifiedDiff(items, `v${from?.number ?? 0}`, `v${to.number}`),
  })
}
