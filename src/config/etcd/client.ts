/**
 * A small client for etcd's v3 JSON gateway (keys and values base64), over `fetch`, with
 * fail-over between the listed endpoints and optional user/password authentication.
 */
import { parseDuration } from '../../core/duration.ts'

/** Connection settings parsed from `etcd://host1:2379,host2:2379/prefix?…`. */
export interface EtcdOptions {
  readonly endpoints: readonly string[]
  /** Key prefix, without a trailing slash (`/pingap`). */
  readonly prefix: string
  readonly timeoutMs: number
  readonly connectTimeoutMs: number
  readonly user?: string
  readonly password?: string
  readonly cacheDir?: string
}

/** One key/value as etcd returns it, decoded. */
export interface EtcdKv {
  readonly key: string
  readonly value: string
  readonly modRevision: number
}

/** A key range: its first key and etcd's base64 `range_end` (exclusive). */
export type EtcdRange = readonly [from: string, rangeEnd: string]

/** A write inside a transaction: a text to put, or `undefined` to delete. */
export type EtcdWrite = readonly [key: string, value: string | undefined]

/** Parses Pingap's etcd URL form; durations accept `10s`, `500ms` or bare seconds. */
export function parseEtcdUrl(url: string): EtcdOptions {
  const rest = url.slice('etcd://'.length)
  const q = rest.indexOf('?')
  const main = q < 0 ? rest : rest.slice(0, q)
  const query = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1))
  const slash = main.indexOf('/')
  const hosts = (slash < 0 ? main : main.slice(0, slash)).split(',').filter((h) => h !== '')
  const path = slash < 0 ? '' : main.slice(slash)
  const ms = (key: string, fallback: number): number => {
    const text = query.get(key)
    return text === null ? fallback : (parseDuration(text) ?? fallback)
  }
  const user = query.get('user') ?? undefined
  const password = query.get('password') ?? undefined
  const cacheDir = query.get('cache_dir') ?? undefined
  return {
    endpoints: hosts.map((h) => (/^https?:\/\//.test(h) ? h : `http://${h}`)),
    prefix: `/${path.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, ''),
    timeoutMs: ms('timeout', 10_000),
    connectTimeoutMs: ms('connect_timeout', 3_000),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(cacheDir === undefined ? {} : { cacheDir }),
  }
}

/** Base64 of a UTF-8 string, as the gateway wants keys and values. */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64')
}

function unb64(text: string | undefined): string {
  return Buffer.from(text ?? '', 'base64').toString('utf8')
}

/** The first key after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8')
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      bytes[i] = bytes[i]! + 1
      return bytes.subarray(0, i + 1).toString('base64')
    }
  }
  return Buffer.from([0]).toString('base64')
}

interface RawKv {
  key?: string
  value?: string
  mod_revision?: string
}

/** Decodes the `kvs` of a range response. */
export function decodeKvs(kvs: readonly RawKv[] | undefined): EtcdKv[] {
  return (kvs ?? []).map((kv) => ({
    key: unb64(kv.key),
    value: unb64(kv.value),
    modRevision: Number(kv.mod_revision ?? 0),
  }))
}

/** Thin v3 gateway client; every call tries each endpoint in turn, starting with the last good. */
export class EtcdClient {
  readonly options: EtcdOptions
  #current = 0
  #token: string | undefined

  constructor(options: EtcdOptions) {
    this.options = options
  }

  async #post(endpoint: string, path: string, body: unknown, signal?: AbortSignal) {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.#token !== undefined) headers['authorization'] = this.#token
    const timeout = AbortSignal.timeout(this.options.timeoutMs)
    return fetch(`${endpoint}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    })
  }

  async #authenticate(endpoint: string): Promise<void> {
    const { user, password } = this.options
    if (user === undefined || this.#token !== undefined) return
    const res = await this.#post(endpoint, '/v3/auth/authenticate', {
      name: user,
      password: password ?? '',
    })
    const json = (await res.json()) as { token?: string; error?: string }
    if (!res.ok || json.token === undefined) {
      throw new Error(`etcd authentication failed: ${json.error ?? res.status}`)
    }
    this.#token = json.token
  }

  /** POSTs `body` to `path` on the first endpoint that answers; throws the last error. */
  async call<T>(path: string, body: unknown): Promise<T> {
    const { endpoints } = this.options
    let last: unknown = new Error('no etcd endpoint')
    for (let i = 0; i < endpoints.length; i++) {
      const index = (this.#current + i) % endpoints.length
      const endpoint = endpoints[index]!
      try {
        await this.#authenticate(endpoint)
        const res = await this.#post(endpoint, path, body)
        const json = (await res.json()) as T & { error?: string; message?: string }
        if (res.status === 401) this.#token = undefined
        if (!res.ok) throw new Error(`etcd ${path}: ${json.message ?? json.error ?? res.status}`)
        this.#current = index
        return json
      } catch (err) {
        last = err
      }
    }
    throw last instanceof Error ? last : new Error(String(last))
  }

  /** Every key under `prefix` and the store revision the read saw. */
  async range(prefix: string): Promise<{ kvs: EtcdKv[]; revision: number }> {
    const res = await this.call<{ kvs?: RawKv[]; header?: { revision?: string } }>('/v3/kv/range', {
      key: b64(prefix),
      range_end: prefixEnd(prefix),
    })
    return { kvs: decodeKvs(res.kvs), revision: Number(res.header?.revision ?? 0) }
  }

  /**
   * Applies `writes` atomically; with a guard, only if no key in any of its ranges changed after
   * `baseRevision`. Returns whether the transaction was applied and the new revision.
   */
  async txn(
    writes: readonly EtcdWrite[],
    guard?: { ranges: readonly EtcdRange[]; baseRevision: number },
  ): Promise<{ succeeded: boolean; revision: number }> {
    const compare = (guard?.ranges ?? []).map(([from, to]) => ({
      target: 'MOD',
      result: 'LESS',
      key: b64(from),
      range_end: to,
      mod_revision: String(guard!.baseRevision + 1),
    }))
    const success = writes.map(([key, value]) =>
      value === undefined
        ? { request_delete_range: { key: b64(key) } }
        : { request_put: { key: b64(key), value: b64(value) } },
    )
    const res = await this.call<{ succeeded?: boolean; header?: { revision?: string } }>(
      '/v3/kv/txn',
      { compare, success, failure: [] },
    )
    return { succeeded: res.succeeded === true, revision: Number(res.header?.revision ?? 0) }
  }

  /** Puts one key, attached to `lease` when given. */
  async put(key: string, value: string, lease?: string): Promise<void> {
    await this.call('/v3/kv/put', {
      key: b64(key),
      value: b64(value),
      ...(lease === undefined ? {} : { lease }),
    })
  }

  /** Grants a lease of `ttlSeconds`; returns its id. */
  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.call<{ ID?: string }>('/v3/lease/grant', { TTL: String(ttlSeconds) })
    if (res.ID === undefined) throw new Error('etcd granted no lease')
    return res.ID
  }

  /** Refreshes a lease once; false when it has expired (etcd answers TTL 0 or none). */
  async keepAlive(lease: string): Promise<boolean> {
    const res = await this.call<{ result?: { TTL?: string } }>('/v3/lease/keepalive', { ID: lease })
    return Number(res.result?.TTL ?? 0) > 0
  }

  /** Revokes a lease, deleting its keys. */
  async revoke(lease: string): Promise<void> {
    await this.call('/v3/lease/revoke', { ID: lease })
  }

  /** Opens a watch stream on `prefix` from `startRevision` at the current endpoint. */
  async openWatch(prefix: string, startRevision: number, signal: AbortSignal): Promise<Response> {
    const { endpoints } = this.options
    const endpoint = endpoints[this.#current % endpoints.length]!
    await this.#authenticate(endpoint)
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (this.#token !== undefined) headers['authorization'] = this.#token
    const connect = AbortSignal.timeout(this.options.connectTimeoutMs)
    const both = new AbortController()
    const stop = (): void => both.abort()
    signal.addEventListener('abort', stop, { once: true })
    connect.addEventListener('abort', stop, { once: true })
    // An already-aborted signal fires no event.
    if (signal.aborted) stop()
    try {
      const res = await fetch(`${endpoint}/v3/watch`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          create_request: {
            key: b64(prefix),
            range_end: prefixEnd(prefix),
            start_revision: String(startRevision),
          },
        }),
        signal: both.signal,
      })
      if (!res.ok) throw new Error(`etcd watch: HTTP ${res.status}`)
      return res
    } catch (err) {
      // Next attempt goes to the next endpoint.
      this.#current = (this.#current + 1) % endpoints.length
      throw err
    } finally {
      connect.removeEventListener('abort', stop)
    }
  }
}
