/**
 * The lookup of one request, after every `request` plugin ran (spec §4.3 step 3): a fresh
 * entry is a hit; an entry inside its `stale-while-revalidate` window is served stale while one
 * request refreshes it; otherwise the request misses, and the cache lock makes concurrent misses
 * of one key wait for the first instead of all going upstream.
 */
import type { RequestContext } from '../../../core/context.ts'
import type { HttpResponse } from '../../../core/http-response.ts'
import { hitResponse } from './hit.ts'
import { varyValues } from './key.ts'
import type { SharedStore } from './stores.ts'
import { variantKey, type CacheStore, type StoredResponse } from './store.ts'

/** What the cache decided for one request; read by the response and done hooks. */
export interface CacheState {
  /** Value of `x-cache-status`. */
  status: string
  primary: string
  secondary: string
  lookupMs: number | undefined
  lockMs: number | undefined
  /** The lock this request holds (released when its response is stored, or at the end). */
  lockKey: string | undefined
  /** True when the upstream response should be offered to the store. */
  store: boolean
  /** A write to the store is under way; it releases the lock when it ends. */
  writing: boolean
}

type MaybePromise<T> = T | Promise<T>

/** The stored variant matching this request's Vary values, if any. */
export function findStored(
  store: CacheStore,
  state: CacheState,
  ctx: RequestContext,
): MaybePromise<StoredResponse | undefined> {
  const names = store.varyOf(state.primary, state.secondary)
  // The memory store answers at once: no closure, no promise on a hit (the hot path).
  if (!(names instanceof Promise)) return getVariant(store, state, ctx, names)
  return names.then((n) => getVariant(store, state, ctx, n))
}

function getVariant(
  store: CacheStore,
  state: CacheState,
  ctx: RequestContext,
  names: readonly string[],
): MaybePromise<StoredResponse | undefined> {
  const variant =
    names.length === 0
      ? state.secondary
      : variantKey(state.secondary, varyValues(ctx.headers, names))
  return store.get(state.primary, variant)
}

async function waitForLock(
  shared: SharedStore,
  ctx: RequestContext,
  state: CacheState,
  key: string,
  timeoutMs: number,
): Promise<HttpResponse | undefined> {
  const started = performance.now()
  await shared.locks.wait(key, timeoutMs)
  state.lockMs = performance.now() - started
  const again = await findStored(shared.store, state, ctx)
  const now = Date.now()
  if (again === undefined || now >= again.meta.freshUntil) return undefined
  state.status = 'hit'
  state.store = false
  return hitResponse(ctx, again, now)
}

/** Decides hit, stale or miss for a looked-up entry. */
export function decide(
  shared: SharedStore,
  ctx: RequestContext,
  state: CacheState,
  stored: StoredResponse | undefined,
  lockTimeoutMs: number,
): MaybePromise<HttpResponse | undefined> {
  const now = Date.now()
  if (stored !== undefined && now < stored.meta.freshUntil) {
    state.status = 'hit'
    return hitResponse(ctx, stored, now)
  }
  const expired = stored !== undefined
  state.status = expired ? 'expired' : 'miss'
  // A HEAD miss goes upstream as HEAD: it has no body to store, and it must not hold the lock.
  if (ctx.method !== 'GET') return undefined
  state.store = true
  const key = `${state.primary}\u0000${state.secondary}`
  if (expired && now < stored.meta.staleUntil) {
    if (shared.locks.tryAcquire(key)) {
      state.lockKey = key
      return undefined
    }
    state.status = 'stale-updating'
    state.store = false
    return hitResponse(ctx, stored, now)
  }
  if (lockTimeoutMs <= 0) return undefined
  if (shared.locks.tryAcquire(key)) {
    state.lockKey = key
    return undefined
  }
  return waitForLock(shared, ctx, state, key, lockTimeoutMs)
}
