/**
 * Whole-config operations: `POST /config/validate` (dry run), `/config/publish` (a full config
 * or a set of item patches at once), `/config/import` (replace everything from TOML or JSON)
 * and `/config/rollback` (a new version with an older version's content). The writes need the
 * global ETag in `If-Match` (or `baseVersion`).
 */
import { tomlKey } from '../../config/problems.ts'
import type { RawTable } from '../../config/types.ts'
import type { ConfigVersion } from '../../control/versions.ts'
import { changesBetween, categoryOf, type ItemChange } from '../candidate.ts'
import { principalOf, sourceOf, type AdminRequest, type Handler } from '../context.ts'
import type { ChangePlan, WriteContext } from '../editor.ts'
import { badRequest, notFound } from '../errors.ts'
import { checkGlobal, readPrecondition } from '../etag.ts'
import { json } from '../http.ts'
import { restoreSecrets } from '../redact.ts'
import { bodyObject, mergePatch, positiveInt, runningItem, writeResponse } from './shared.ts'

function isTable(value: unknown): value is RawTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function patchChange(entry: unknown, i: number, current: ConfigVersion): ItemChange {
  if (!isTable(entry)) throw badRequest(`patches[${i}] must be an object`)
  const category = categoryOf(typeof entry['category'] === 'string' ? entry['category'] : '')
  if (category === undefined) throw badRequest(`patches[${i}].category is not a config category`)
  const name = category === 'basic' || typeof entry['name'] !== 'string' ? '' : entry['name']
  if (category !== 'basic' && name === '') throw badRequest(`patches[${i}].name is required`)
  const path = category === 'basic' ? 'basic' : `${category}.${tomlKey(name)}`
  const before = runningItem(current.config, category, name)
  const op = entry['op'] ?? 'put'
  if (op === 'delete') return { category, name, value: undefined }
  if (!isTable(entry['value'])) throw badRequest(`patches[${i}].value must be an object`)
  if (op === 'put') return { category, name, value: restoreSecrets(entry['value'], before, path) }
  if (op === 'patch') {
    const merged = mergePatch(before ?? {}, entry['value']) as RawTable
    return { category, name, value: restoreSecrets(merged, before, path) }
  }
  throw badRequest(`patches[${i}].op must be put, patch or delete`)
}

/** A plan from `{ config }` (replace everything) or `{ patches: [...] }`. */
function planOf(body: RawTable): ChangePlan {
  const { config, patches } = body
  if (isTable(config)) {
    return (loaded, current) => changesBetween(loaded.raw, restoreDocument(config, current))
  }
  if (Array.isArray(patches)) {
    return (_loaded, current) => patches.map((p, i) => patchChange(p, i, current))
  }
  throw badRequest('the body needs "config" (an object) or "patches" (an array)')
}

// A full document may carry placeholders for secrets it did not change.
function restoreDocument(doc: RawTable, current: ConfigVersion): RawTable {
  const out: RawTable = {}
  for (const [key, value] of Object.entries(doc)) {
    const category = categoryOf(key)
    if (category === undefined || !isTable(value)) {
      out[key] = value
    } else if (category === 'basic') {
      out[key] = restoreSecrets(value, current.config.basic as RawTable, 'basic')
    } else {
      const section: RawTable = {}
      for (const [name, item] of Object.entries(value)) {
        const before = runningItem(current.config, category, name)
        section[name] = isTable(item)
          ? restoreSecrets(item, before, `${category}.${tomlKey(name)}`)
          : item
      }
      out[key] = section
    }
  }
  return out
}

function context(req: AdminRequest, action: WriteContext['action'], body: RawTable) {
  const message = typeof body['message'] === 'string' ? body['message'].slice(0, 500) : undefined
  return {
    principal: principalOf(req),
    ip: req.ip,
    ...(req.requestId !== undefined ? { requestId: req.requestId } : {}),
    source:
      action === 'config.import'
        ? 'import'
        : action === 'config.rollback'
          ? 'rollback'
          : sourceOf(req),
    action,
    ...(message !== undefined ? { message } : {}),
  }
}

/** `POST /config/validate`: what a publish would do, without doing it. */
export const validateConfig: Handler = async (req, ctx) => {
  const body = bodyObject(req)
  const result = await ctx.editor.validate(planOf(body))
  return json(200, result)
}

/** `POST /config/publish`. */
export const publishConfig: Handler = async (req, ctx) => {
  const body = bodyObject(req)
  const precondition = readPrecondition(req.headers, body['baseVersion'])
  const result = await ctx.editor.commit(
    { precondition: (current) => checkGlobal(precondition, current), plan: planOf(body) },
    context(req, 'config.publish', body),
  )
  return writeResponse(result)
}

/** `POST /config/import`: the body (TOML or JSON) replaces the whole config. */
export const importConfig: Handler = async (req, ctx) => {
  const doc = bodyObject(req)
  const base = req.query.get('baseVersion')
  const precondition = readPrecondition(req.headers, base === null ? undefined : Number(base))
  const result = await ctx.editor.commit(
    {
      precondition: (current) => checkGlobal(precondition, current),
      plan: (loaded, current) => changesBetween(loaded.raw, restoreDocument(doc, current)),
    },
    context(req, 'config.import', {}),
  )
  return writeResponse(result)
}

/** `POST /config/rollback`: `{ targetVersion, baseVersion?, message? }`. */
export const rollbackConfig: Handler = async (req, ctx) => {
  const body = bodyObject(req)
  const targetText = body['targetVersion']
  const target = positiveInt(
    typeof targetText === 'number' || typeof targetText === 'string' ? String(targetText) : '',
    'targetVersion',
  )
  const version = ctx.versions.get(target)
  if (version === undefined) throw notFound(`version ${target}`)
  const precondition = readPrecondition(req.headers, body['baseVersion'])
  const { hash: _hash, ...content } = version.config
  const result = await ctx.editor.commit(
    {
      precondition: (current) => checkGlobal(precondition, current),
      plan: (_loaded, current) => changesBetween(current.config, content),
    },
    { ...context(req, 'config.rollback', body), rollbackOf: target },
  )
  return writeResponse(result)
}
