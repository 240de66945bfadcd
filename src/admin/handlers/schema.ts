/** `GET /schema`: the keys of every category, for the UI's forms, and the plugin categories. */
import { SCHEMAS } from '../../config/schema.ts'
import type { Handler } from '../context.ts'
import { json } from '../http.ts'

export const getSchema: Handler = (_req, ctx) =>
  json(200, { categories: SCHEMAS, pluginCategories: ctx.pluginCategories })
