/**
 * The admin API, one row per route, below `<mount>/api/v1` (docs/admin.md has the bodies and
 * statuses). Rows are tried in order, so fixed paths come before `:category` patterns.
 * `public` routes need no authentication; `stream` routes write the response themselves.
 */
import type { Handler } from './context.ts'
import { queryAudit } from './handlers/audit.ts'
import { getCategory, getConfig, getItem } from './handlers/config-read.ts'
import { deleteItem, patchItem, putItem } from './handlers/items.ts'
import { importConfig, publishConfig, rollbackConfig, validateConfig } from './handlers/publish.ts'
import { getSchema } from './handlers/schema.ts'
import { getSession, login, logout, passwordHash } from './handlers/session.ts'
import { getStatus } from './handlers/status.ts'
import { diffVersion, getVersion, listVersions } from './handlers/versions.ts'

export interface Route {
  readonly method: string
  readonly pattern: string
  readonly handler: Handler | 'events'
  readonly public?: boolean
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', pattern: '/login', handler: login, public: true },
  { method: 'POST', pattern: '/logout', handler: logout },
  { method: 'GET', pattern: '/session', handler: getSession },
  { method: 'POST', pattern: '/password-hash', handler: passwordHash },
  { method: 'GET', pattern: '/schema', handler: getSchema },
  { method: 'GET', pattern: '/events', handler: 'events' },
  { method: 'GET', pattern: '/audit', handler: queryAudit },
  { method: 'GET', pattern: '/status', handler: getStatus },
  { method: 'GET', pattern: '/config/status', handler: getStatus },
  { method: 'POST', pattern: '/config/validate', handler: validateConfig },
  { method: 'POST', pattern: '/config/publish', handler: publishConfig },
  { method: 'POST', pattern: '/config/import', handler: importConfig },
  { method: 'POST', pattern: '/config/rollback', handler: rollbackConfig },
  { method: 'GET', pattern: '/config/versions', handler: listVersions },
  { method: 'GET', pattern: '/config/versions/:n', handler: getVersion },
  { method: 'GET', pattern: '/config/versions/:n/diff', handler: diffVersion },
  { method: 'GET', pattern: '/config', handler: getConfig },
  { method: 'GET', pattern: '/config/:category', handler: getCategory },
  { method: 'PUT', pattern: '/config/:category', handler: putItem },
  { method: 'PATCH', pattern: '/config/:category', handler: patchItem },
  { method: 'GET', pattern: '/config/:category/:name', handler: getItem },
  { method: 'PUT', pattern: '/config/:category/:name', handler: putItem },
  { method: 'PATCH', pattern: '/config/:category/:name', handler: patchItem },
  { method: 'DELETE', pattern: '/config/:category/:name', handler: deleteItem },
]

/** A matched route and its decoded parameters. */
export interface RouteMatch {
  readonly route: Route
  readonly params: Record<string, string>
}

function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/')
  const got = path.split('/')
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string
    const g = got[i] as string
    if (w.startsWith(':')) {
      if (g === '') return undefined
      try {
        params[w.slice(1)] = decodeURIComponent(g)
      } catch {
        return undefined
      }
    } else if (w !== g) return undefined
  }
  return params
}

/**
 * The route for `method` and `path`; `methods` lists what the path allows when the method
 * does not match (for 405), empty when nothing matches the path (404).
 */
export function findRoute(method: string, path: string): { match?: RouteMatch; methods: string[] } {
  const methods: string[] = []
  const wanted = method === 'HEAD' ? 'GET' : method
  for (const route of ROUTES) {
    const params = matchPattern(route.pattern, path)
    if (params === undefined) continue
    if (route.method === wanted) return { match: { route, params }, methods }
    methods.push(route.method)
  }
  return { methods }
}
