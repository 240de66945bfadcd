/** Builds RouteInput values for router tests. */
import type { IncomingHttpHeaders } from 'node:http'
import type { RouteInput } from '../../../src/router/types.ts'

export function routeInput(
  path: string,
  options: { host?: string; query?: string; headers?: IncomingHttpHeaders } = {},
): RouteInput {
  return {
    host: options.host ?? 'example.com',
    path,
    query: options.query ?? '',
    headers: options.headers ?? {},
  }
}

/** Deterministic PRNG (mulberry32) so a failing random test can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The seed for a random test: ROUTER_SEED when set (to replay a failure), else a fresh one. */
export function testSeed(): number {
  const fromEnv = process.env['ROUTER_SEED']
  return fromEnv !== undefined ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 32)
}
