/**
 * The admin services built from the host process: shared by the standalone admin server and the
 * admin plugin mounted on a location, so both see the same editor and context shape.
 */
import type { AuditLog } from '../control/audit.ts'
import type { AdminContext } from './context.ts'
import { ConfigEditor } from './editor.ts'
import type { EventHub } from './events.ts'
import type { SessionStore } from './sessions.ts'
import type { AdminHost } from './start.ts'
import type { UserDirectory } from './users.ts'

/** The per-server parts of an admin context (the rest comes from the host). */
export interface AdminContextParts {
  readonly editor: ConfigEditor
  readonly audit: AuditLog
  readonly events: EventHub
  readonly sessions: SessionStore
  readonly users: UserDirectory
  /** The mount path (`''` for the root). */
  readonly mount: string
}

/** A config editor that writes through the host's store, pipeline and check. */
export function hostEditor(host: AdminHost, audit: AuditLog): ConfigEditor {
  return new ConfigEditor({
    store: host.store,
    versions: host.versions,
    pipeline: host.pipeline,
    check: host.check,
    audit,
  })
}

/** The admin context of one server or mount over the host's services. */
export function hostContext(host: AdminHost, parts: AdminContextParts): AdminContext {
  return {
    editor: parts.editor,
    versions: host.versions,
    audit: parts.audit,
    events: parts.events,
    sessions: parts.sessions,
    users: parts.users,
    lastRejection: () => host.pipeline.lastRejection,
    status: host.status,
    pluginCategories: host.pluginCategories,
    cookiePath: parts.mount === '' ? '/' : parts.mount,
  }
}
