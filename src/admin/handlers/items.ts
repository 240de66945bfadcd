/**
 * Item writes: `PUT` (create or replace), `PATCH` (JSON merge patch) and `DELETE`
 * `/config/{category}/{name}`. Each needs `If-Match` with the global or the item ETag (or
 * `If-None-Match: *` to create), and validates the whole resulting config before anything is
 * saved.
 */
import type { ConfigCategory, RawTable } from '../../config/types.ts'
import { tomlKey } from '../../config/problems.ts'
import { principalOf, sourceOf, type AdminRequest, type Handler } from '../context.ts'
import type { ConfigEditor, CommitResult } from '../editor.ts'
import { badRequest, notFound } from '../errors.ts'
import { checkItem, itemEtag, readPrecondition } from '../etag.ts'
import { restoreSecrets } from '../redact.ts'
import {
  bodyObject,
  itemFromBody,
  mergePatch,
  routeCategory,
  routeName,
  runningItem,
  writeResponse,
} from './shared.ts'

function itemPath(category: ConfigCategory, name: string): string {
  return category === 'basic' ? 'basic' : `${category}.${tomlKey(name)}`
}

function commitItem(
  req: AdminRequest,
  editor: ConfigEditor,
  category: ConfigCategory,
  name: string,
  value: (current: RawTable | undefined) => RawTable | undefined,
): Promise<CommitResult> {
  const precondition = readPrecondition(req.headers)
  return editor.commit(
    {
      precondition: (current) =>
        checkItem(precondition, current, runningItem(current.config, category, name)),
      plan: (_loaded, current) => [
        { category, name, value: value(runningItem(current.config, category, name)) },
      ],
    },
    {
      principal: principalOf(req),
      ip: req.ip,
      ...(req.requestId !== undefined ? { requestId: req.requestId } : {}),
      source: sourceOf(req),
      action: 'config.publish',
      ...(typeof req.headers['x-change-message'] === 'string'
        ? { message: req.headers['x-change-message'].slice(0, 500) }
        : {}),
    },
  )
}

function respond(result: CommitResult, category: ConfigCategory, name: string, status: number) {
  const item = runningItem(result.version.config, category, name)
  const response = writeResponse(result, status, {
    itemEtag: item === undefined ? null : itemEtag(item),
  })
  return item === undefined
    ? response
    : { ...response, headers: { ...response.headers, etag: itemEtag(item) } }
}

/** `PUT /config/{category}/{name}` and `PUT /config/basic`. */
export const putItem: Handler = async (req, ctx) => {
  const category = routeCategory(req)
  const name = routeName(req, category)
  const incoming = itemFromBody(req, category, name)
  const existed =
    runningItem(ctx.editor.current().config, category, name) !== undefined || category === 'basic'
  const result = await commitItem(req, ctx.editor, category, name, (current) =>
    restoreSecrets(incoming, current, itemPath(category, name)),
  )
  return respond(result, category, name, existed ? 200 : 201)
}

/** `PATCH /config/{category}/{name}`: RFC 7386 merge patch onto the running item. */
export const patchItem: Handler = async (req, ctx) => {
  const category = routeCategory(req)
  const name = routeName(req, category)
  const patch = bodyObject(req)
  if (runningItem(ctx.editor.current().config, category, name) === undefined) {
    throw notFound(`${category}.${name}`)
  }
  const result = await commitItem(req, ctx.editor, category, name, (current) => {
    const merged = mergePatch(current ?? {}, patch) as RawTable
    return restoreSecrets(merged, current, itemPath(category, name))
  })
  return respond(result, category, name, 200)
}

/** `DELETE /config/{category}/{name}`; refused with 422 while something refers to it. */
export const deleteItem: Handler = async (req, ctx) => {
  const category = routeCategory(req)
  if (category === 'basic') throw badRequest('basic cannot be deleted; PUT an empty table')
  const name = routeName(req, category)
  if (runningItem(ctx.editor.current().config, category, name) === undefined) {
    throw notFound(`${category}.${name}`)
  }
  const result = await commitItem(req, ctx.editor, category, name, () => undefined)
  return respond(result, category, name, 200)
}
