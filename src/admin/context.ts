/** What every admin handler receives: the request as parsed by the server, and the services. */
import type { IncomingHttpHeaders } from 'node:http'
import type { AuditLog } from '../control/audit.ts'
import type { NodeStatus } from '../control/node-status.ts'
import type { RuntimeStatusSource } from '../control/status.ts'
import type { VersionLog } from '../control/versions.ts'
import type { HttpResponse } from '../core/http-response.ts'
import type { Principal } from './auth.ts'
import type { ConfigEditor } from './editor.ts'
import type { EventHub } from './events.ts'
import type { SessionStore } from './sessions.ts'
import type { UserDirectory } from './users.ts'

/** The services of one admin server. */
export interface AdminContext {
  readonly editor: ConfigEditor
  readonly versions: VersionLog
  readonly audit: AuditLog
  readonly events: EventHub
  readonly sessions: SessionStore
  readonly users: UserDirectory
  /** The last failed pipeline run, if the latest run failed. */
  readonly lastRejection: () => { at: string; errors: readonly string[] } | undefined
  readonly status: RuntimeStatusSource
  readonly pluginCategories: readonly string[]
  /** Path of the session cookie (the mount, or `/`). */
  readonly cookiePath: string
  /** etcd mode: every live node's status (leased keys); undefined in file mode. */
  readonly nodes?: () => Promise<readonly NodeStatus[]>
}

/** One API request, authenticated (except on public routes). */
export interface AdminRequest {
  readonly method: string
  /** The path below `/api/v1`, e.g. `/config/upstreams/api`. */
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
  readonly params: Readonly<Record<string, string>>
  /** Undefined only on public routes. */
  readonly principal: Principal | undefined
  readonly ip: string
  readonly requestId: string | undefined
}

export type Handler = (req: AdminRequest, ctx: AdminContext) => Promise<HttpResponse> | HttpResponse

/** The authenticated caller of a non-public route. */
export function principalOf(req: AdminRequest): Principal {
  if (req.principal === undefined) throw new Error('route needs authentication')
  return req.principal
}

/** `ui` for the web UI's session, `admin-api` for scripts. */
export function sourceOf(req: AdminRequest): string {
  return req.principal?.via === 'session' ? 'ui' : 'admin-api'
}
