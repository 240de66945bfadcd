/**
 * `PURGE` (spec §5.3): only from `purge_ip_list`; `PURGE /*` empties the plugin's namespace,
 * any other path removes every stored variant of that URI on the request's host.
 */
import type { RequestContext } from '../../../core/context.ts'
import { textResponse, type HttpResponse } from '../../../core/http-response.ts'
import type { IpList } from '../ip-list.ts'
import { primaryKey } from './key.ts'
import type { CacheStore } from './store.ts'

const BAD_IP = Object.freeze(textResponse(400, 'invalid IP address syntax'))
const FORBIDDEN = Object.freeze(textResponse(403, 'Forbidden, ip is not allowed'))
const NO_NAMESPACE = Object.freeze(
  textResponse(501, 'Not Implemented, purging everything needs a namespace'),
)
const PURGED = Object.freeze(textResponse(204, ''))

/** Answers a PURGE request. */
export function purge(
  store: CacheStore,
  namespace: string,
  allowed: IpList,
  ctx: RequestContext,
): HttpResponse | Promise<HttpResponse> {
  const ok = allowed.has(ctx.clientIp)
  if (ok === undefined) return BAD_IP
  if (!ok) return FORBIDDEN
  if (ctx.path === '/*' && ctx.query === '') {
    if (namespace === '') return NO_NAMESPACE
    return Promise.resolve(store.purgePrefix(`${namespace}\u0000`)).then((r) =>
      textResponse(200, `purged: ${r.purged}, fail: ${r.failed}`),
    )
  }
  const removed = store.purge(primaryKey(namespace, ctx))
  return removed instanceof Promise ? removed.then(() => PURGED) : PURGED
}
