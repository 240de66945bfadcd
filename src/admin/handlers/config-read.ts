/** `GET /config`, `GET /config/{category}`, `GET /config/{category}/{name}` (redacted). */
import { stringify } from 'smol-toml'
import type { Handler } from '../context.ts'
import { notFound } from '../errors.ts'
import { globalEtag, itemEtag } from '../etag.ts'
import { json, text } from '../http.ts'
import { redactCategory, redactConfig, redactItem } from '../redact.ts'
import { routeCategory, routeName, runningItem } from './shared.ts'

const TOML_TYPE = 'application/toml; charset=utf-8'

function wantsToml(query: URLSearchParams): boolean {
  return query.get('format') === 'toml'
}

/** The whole running config. */
export const getConfig: Handler = (req, ctx) => {
  const current = ctx.editor.current()
  const { hash: _hash, ...body } = redactConfig(current.config)
  const headers = { etag: globalEtag(current), 'x-config-version': String(current.number) }
  if (wantsToml(req.query)) {
    const response = text(200, `${stringify(body).trimEnd()}\n`, TOML_TYPE)
    return { ...response, headers: { ...response.headers, ...headers } }
  }
  return json(200, body, headers)
}

/** One category: `name → item` (or the basic table). */
export const getCategory: Handler = (req, ctx) => {
  const category = routeCategory(req)
  const current = ctx.editor.current()
  if (category === 'basic') return getItem(req, ctx)
  const body = redactCategory(category, current.config[category])
  return json(200, body, { etag: globalEtag(current), 'x-config-version': String(current.number) })
}

/** One item, with its item ETag; `?format=toml` gives its keys as TOML (the raw editor). */
export const getItem: Handler = (req, ctx) => {
  const category = routeCategory(req)
  const name = routeName(req, category)
  const current = ctx.editor.current()
  const item = runningItem(current.config, category, name)
  if (item === undefined) throw notFound(`${category}.${name}`)
  const headers = { etag: itemEtag(item), 'x-config-version': String(current.number) }
  const redacted = redactItem(category, item)
  if (wantsToml(req.query)) {
    const response = text(200, stringify(redacted), TOML_TYPE)
    return { ...response, headers: { ...response.headers, ...headers } }
  }
  return json(200, redacted, headers)
}
