/**
 * The admin on a proxy location (`[plugins.x] category = "admin"`): builds, per mount, the same
 * {@link AdminHandler} the admin server uses, with the mount's own users, sessions and lock-out
 * and the process's shared services (editor, versions, audit). The composition root hands the
 * result to the plugin registry as `adminMounts`, so the plugin never imports this folder.
 */
import { AuditLog } from '../control/audit.ts'
import type { HttpResponse } from '../core/http-response.ts'
import type { AdminMountFactory, AdminMountOptions } from '../plugins/builtin/admin.ts'
import { UiAssets } from './assets.ts'
import { Authenticator } from './auth.ts'
import { EventHub } from './events.ts'
import { hostContext, hostEditor } from './host-context.ts'
import { FailureLimiter } from './lockout.ts'
import { AdminHandler, EVENT_STREAM } from './server.ts'
import { SessionStore } from './sessions.ts'
import type { AdminHost } from './start.ts'
import { UserDirectory } from './users.ts'

// The live event stream needs the raw response, which a plugin answer does not have; 204 tells
// the UI's EventSource not to reconnect (it then refreshes on navigation only).
const NO_EVENTS: HttpResponse = Object.freeze({
  status: 204,
  headers: { 'cache-control': 'no-store' },
  body: Buffer.alloc(0),
})

export interface AdminMountDeps {
  readonly host: AdminHost
  /** The admin server's audit log when one runs, so both write to the same log. */
  readonly audit?: AuditLog
  readonly uiDir?: string
}

/** The factory of admin mounts for one process. */
export function createAdminMounts(deps: AdminMountDeps): AdminMountFactory {
  const { host } = deps
  const audit = deps.audit ?? new AuditLog()
  const editor = hostEditor(host, audit)
  const events = new EventHub()
  let assets: Promise<UiAssets> | undefined

  return (options: AdminMountOptions) => {
    const users = new UserDirectory(
      options.users,
      () => host.versions.current?.config.basic.admin_users,
    )
    const sessions = new SessionStore(options.maxAgeMs)
    const context = hostContext(host, {
      editor,
      audit,
      events,
      sessions,
      users,
      mount: options.path,
    })
    assets ??= UiAssets.load(deps.uiDir)
    const handler = assets.then(
      (files) =>
        new AdminHandler({
          spec: { mount: options.path, ipFailLimit: options.ipFailLimit },
          context,
          auth: new Authenticator(users, sessions, options.maxAgeMs),
          limiter: new FailureLimiter(options.ipFailLimit),
          assets: files,
        }),
    )
    return async (ctx) => {
      const url = ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`
      const answer = await (await handler).respond({ req: ctx.req, url, ip: ctx.clientIp })
      return answer === EVENT_STREAM ? NO_EVENTS : answer
    }
  }
}
