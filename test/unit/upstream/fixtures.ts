/** Test inputs for upstream units: request contexts and backends without pools. */
import type { IncomingHttpHeaders } from 'node:http'
import type { Dispatcher } from 'undici'
import type { RequestContext } from '../../../src/core/context.ts'
import type { Backend } from '../../../src/upstream/types.ts'

/** A RequestContext with only the fields selectors read. */
export function fakeContext(
  fields: { path?: string; query?: string; headers?: IncomingHttpHeaders; clientIp?: string } = {},
): RequestContext {
  return {
    path: fields.path ?? '/',
    query: fields.query ?? '',
    headers: fields.headers ?? {},
    clientIp: fields.clientIp ?? '127.0.0.1',
    host: 'example.test',
  } as unknown as RequestContext
}

/** Backends `a`, `b`, ... (addresses 10.0.0.1:80 ...) with the given weights; no pool. */
export function fakeBackends(...weights: number[]): Backend[] {
  return weights.map((weight, i) => ({
    address: `10.0.0.${i + 1}:80`,
    host: `10.0.0.${i + 1}`,
    port: 80,
    weight,
    healthy: true,
    pool: {} as Dispatcher,
  }))
}

/** The letter of a backend made by fakeBackends (10.0.0.1 → a). */
export function letter(backend: Backend | undefined): string {
  if (backend === undefined) return '-'
  return String.fromCharCode(96 + Number(backend.host.split('.')[3]))
}

/** Polls `check` every 20 ms until it stops throwing, or rethrows after `timeoutMs`. */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await check()
      return
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}
