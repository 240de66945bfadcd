/** Shared steps of the built-in plugin tests: build through the registry, run one hook. */
import type { OutgoingHttpHeaders } from 'node:http'
import type { RequestContext } from '../../../../src/core/context.ts'
import type { HttpResponse } from '../../../../src/core/http-response.ts'
import { createBuiltinRegistry } from '../../../../src/plugins/builtin/index.ts'
import type { Plugin, ResponseHead } from '../../../../src/plugins/types.ts'

export const registry = createBuiltinRegistry()

/** Builds `[plugins.<name>]` from `raw` as the snapshot builder does. */
export function plugin(raw: Record<string, unknown>, name = 'test'): Plugin {
  return registry.create(name, raw)
}

/** Runs the request hook; undefined means "continue". */
export async function request(p: Plugin, ctx: RequestContext): Promise<HttpResponse | undefined> {
  if (p.onRequest === undefined) return undefined
  return p.onRequest(ctx)
}

/** The body of a plugin response as text. */
export function text(response: HttpResponse | undefined): string | undefined {
  return response?.body.toString('utf8')
}

/** A response head as the proxy passes it to header hooks. */
export function head(status = 200, headers: OutgoingHttpHeaders = {}): ResponseHead {
  return { status, headers }
}
