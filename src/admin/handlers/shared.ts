/** Helpers shared by the config handlers: route params, item bodies, merge patch, responses. */
import type { RawTable, ConfigCategory } from '../../config/types.ts'
import { versionMeta } from '../../control/versions.ts'
import type { HttpResponse } from '../../core/http-response.ts'
import { categoryOf, itemOf } from '../candidate.ts'
import type { AdminRequest } from '../context.ts'
import type { CommitResult } from '../editor.ts'
import { badRequest, notFound } from '../errors.ts'
import { globalEtag } from '../etag.ts'
import { json, jsonObject, mediaType, tomlObject } from '../http.ts'

function isTable(value: unknown): value is RawTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The category named in the route (`:category`), plural or singular; 404 otherwise. */
export function routeCategory(req: AdminRequest): ConfigCategory {
  const category = categoryOf(req.params['category'] ?? '')
  if (category === undefined) throw notFound(`config category "${req.params['category']}"`)
  return category
}

/** The item name of the route (`''` for basic). */
export function routeName(req: AdminRequest, category: ConfigCategory): string {
  if (category === 'basic') return ''
  const name = req.params['name']
  if (name === undefined || name === '') throw notFound(`an item name below /config/${category}`)
  return name
}

/** The request body as an object: JSON, or TOML with `Content-Type: application/toml`. */
export function bodyObject(req: AdminRequest): RawTable {
  return mediaType(req.headers) === 'application/toml' ? tomlObject(req.body) : jsonObject(req.body)
}

/**
 * An item from a body: its keys (`{"addrs": [...]}` / `addrs = [...]`), or a document that
 * wraps it (`{"upstreams": {"api": {...}}}` / `[upstreams.api]`).
 */
export function itemFromBody(req: AdminRequest, category: ConfigCategory, name: string): RawTable {
  const doc = bodyObject(req)
  const keys = Object.keys(doc)
  if (keys.length === 1 && keys[0] === category) {
    const section = doc[category]
    if (category === 'basic' && isTable(section)) return section
    if (isTable(section) && Object.keys(section).length === 1 && isTable(section[name])) {
      return section[name]
    }
  }
  return doc
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isTable(patch)) return patch
  const out: RawTable = isTable(target) ? { ...target } : {}
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key]
    else out[key] = mergePatch(out[key], value)
  }
  return out
}

/** The running version's item, or undefined. */
export function runningItem(
  config: object,
  category: ConfigCategory,
  name: string,
): RawTable | undefined {
  return itemOf(config, category, name)
}

/** A positive integer from a string, or a 400. */
export function positiveInt(text: string | null | undefined, what: string): number {
  const n = Number(text)
  if (text === null || text === undefined || !/^\d+$/.test(text) || n < 1) {
    throw badRequest(`${what} must be a positive integer`)
  }
  return n
}

/** The response of a successful write. */
export function writeResponse(
  result: CommitResult,
  status = 200,
  extra: Record<string, unknown> = {},
): HttpResponse {
  const etag = globalEtag(result.version)
  return json(
    status,
    {
      status: result.status,
      version: versionMeta(result.version),
      etag,
      diff: result.diff,
      requiresRestart: result.requiresRestart,
      ...extra,
    },
    { etag, 'x-config-version': String(result.version.number) },
  )
}
