/**
 * The `cache` plugin (spec §5.3, §4.3): an HTTP cache in memory (bounded, LRU) or in a
 * directory (bounded, survives restarts). GET and HEAD are looked up after every `request`
 * plugin ran; hits go through the response hooks; misses are stored once the upstream body is
 * complete; a lock turns N concurrent misses into one upstream request; PURGE removes entries.
 */
import type { RequestContext } from '../../core/context.ts'
import { logger } from '../../core/logger.ts'
import { PluginOptions } from '../conf.ts'
import type { Plugin, PluginFactory } from '../types.ts'
import { captureResponse } from './cache/capture.ts'
import { parseStoreSpec, type StoreSpec } from './cache/directory-spec.ts'
import type { FreshnessRules } from './cache/freshness.ts'
import { primaryKey, secondaryKey } from './cache/key.ts'
import { decide, findStored, type CacheState } from './cache/lookup.ts'
import { purge } from './cache/purge.ts'
import { sharedStore, type SharedStore } from './cache/stores.ts'
import { byteSize } from './directory/byte-size.ts'
import { compileIpList, type IpList } from './ip-list.ts'
import { setState } from './shared.ts'

const log = logger.child({ module: 'plugin', category: 'cache' })

export interface CacheConf {
  readonly spec: StoreSpec
  readonly namespace: string
  /** Lower-case request header names whose values join the key. */
  readonly headers: readonly string[]
  readonly rules: FreshnessRules
  readonly maxFileSize: number
  /** 0 disables the lock. */
  readonly lockMs: number
  readonly purgeIps: IpList
  readonly skip: RegExp | undefined
}

const KEYS = [
  'directory',
  'namespace',
  'headers',
  'max_ttl',
  'max_file_size',
  'lock',
  'eviction',
  'predictor',
  'check_cache_control',
  'purge_ip_list',
  'skip',
]

/** A request the key cannot tell apart from others must not share their entries (RFC 9111 §3.5). */
function bypassed(conf: CacheConf, ctx: RequestContext): boolean {
  if (ctx.headers.authorization !== undefined && !conf.headers.includes('authorization')) {
    return true
  }
  if (conf.skip === undefined) return false
  return conf.skip.test(ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`)
}

function createPlugin(
  conf: CacheConf,
  base: Pick<Plugin, 'category' | 'name' | 'hash' | 'step'>,
): Plugin {
  const { name } = base
  let shared: SharedStore | undefined
  const open = (): SharedStore => {
    if (shared === undefined) {
      shared = sharedStore(conf.spec)
      shared.store.open()
    }
    return shared
  }
  const state = (ctx: RequestContext): CacheState | undefined =>
    ctx.state?.get(name) as CacheState | undefined
  const release = (st: CacheState): void => {
    if (st.lockKey === undefined) return
    open().locks.release(st.lockKey)
    st.lockKey = undefined
  }
  return {
    ...base,
    start: () => void open(),
    onRequest(ctx) {
      if (ctx.method === 'PURGE') return purge(open().store, conf.namespace, conf.purgeIps, ctx)
      if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return undefined
      if (ctx.headers.upgrade !== undefined) return undefined
      const st: CacheState = {
        status: bypassed(conf, ctx) ? 'bypass' : 'pending',
        primary: '',
        secondary: '',
        lookupMs: undefined,
        lockMs: undefined,
        lockKey: undefined,
        store: false,
        writing: false,
      }
      setState(ctx, name, st)
      return undefined
    },
    onCacheLookup(ctx) {
      const st = state(ctx)
      if (st === undefined || st.status !== 'pending') return undefined
      const s = open()
      const started = performance.now()
      // Keys are built here, after every request plugin ran, so keys they add are included.
      st.primary = primaryKey(conf.namespace, ctx)
      st.secondary = secondaryKey(ctx, conf.headers)
      const found = findStored(s.store, st, ctx)
      if (found instanceof Promise) {
        return found.then((stored) => {
          st.lookupMs = performance.now() - started
          return decide(s, ctx, st, stored, conf.lockMs)
        })
      }
      st.lookupMs = performance.now() - started
      return decide(s, ctx, st, found, conf.lockMs)
    },
    onCacheStore(ctx, head) {
      const st = state(ctx)
      if (st === undefined || !st.store) return undefined
      return captureResponse(ctx, head, {
        store: open().store,
        primary: st.primary,
        secondary: st.secondary,
        rules: conf.rules,
        maxBytes: conf.maxFileSize,
        done: () => release(st),
        writing: () => (st.writing = true),
        onError: (err) => log.warn('cache store failed', { plugin: name, err }),
      })
    },
    onResponse(ctx, head) {
      const st = state(ctx)
      if (st === undefined) return
      head.headers['x-cache-status'] = st.status === 'pending' ? 'miss' : st.status
      if (st.lookupMs !== undefined) {
        head.headers['x-cache-lookup'] = `${Math.round(st.lookupMs)}ms`
      }
      if (st.lockMs !== undefined) head.headers['x-cache-lock'] = `${Math.round(st.lockMs)}ms`
    },
    onDone(ctx) {
      // The response is sent; a write still under way keeps the lock until the entry exists,
      // so the next request hits instead of fetching again.
      const st = state(ctx)
      if (st !== undefined && !st.writing) release(st)
    },
  }
}

/** An HTTP cache; see docs/plugins/cache.md. */
export const cache: PluginFactory<CacheConf> = {
  category: 'cache',
  steps: ['request'],
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, KEYS)
    let spec: StoreSpec
    try {
      spec = parseStoreSpec(options.string('directory'))
    } catch (err) {
      throw options.error('directory', err instanceof Error ? err.message : String(err))
    }
    const namespace = options.string('namespace').trim()
    if (namespace.includes('\u0000')) throw options.error('namespace', 'must not contain NUL')
    return {
      spec,
      namespace,
      headers: options
        .stringList('headers')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => h !== ''),
      rules: {
        maxTtlMs: options.duration('max_ttl', 0),
        checkCacheControl: options.bool('check_cache_control'),
      },
      maxFileSize: byteSize(options, raw, 'max_file_size', 1024 * 1024),
      lockMs: options.duration('lock', 1000),
      purgeIps: compileIpList(
        options.stringList('purge_ip_list'),
        options.keyPath('purge_ip_list'),
      ),
      skip: options.regex('skip'),
    }
  },

  create({ name, hash, step, conf }) {
    return createPlugin(conf, { category: 'cache', name, hash, step })
  },
}
