/**
 * A JSON Web Key Set fetched from `jwks_url` and kept for `jwks_ttl`. Past the TTL the keys are
 * still used while a refresh runs in the background, and kept when the refresh fails (stale
 * reuse), so a JWKS outage does not lock everyone out. An unknown `kid` triggers a refresh (a
 * rotated key). Fetch attempts are spaced by a cooldown of min(ttl, 10 s) whatever happens, so
 * a flood of bad tokens cannot turn into a flood of JWKS requests.
 */
import type { createLocalJWKSet, FlattenedJWSInput, JWSHeaderParameters } from 'jose'
import type { Agent } from 'undici'
import { logger } from '../../core/logger.ts'
import { loadJose } from './jose-module.ts'
import { readBody } from './read-body.ts'

type KeySet = ReturnType<typeof createLocalJWKSet>
/** What jose's key resolvers return: a WebCrypto key. */
export type JwksKey = Awaited<ReturnType<KeySet>>

const log = logger.child({ module: 'plugin' })

/** Most a JWKS document may weigh. */
const MAX_JWKS_BYTES = 1024 * 1024
const MAX_COOLDOWN_MS = 10_000

export interface JwksCacheOptions {
  readonly url: string
  readonly ttlMs: number
  /** Per fetch; default 5 s. */
  readonly timeoutMs?: number
  /** Milliseconds clock; tests pass their own. */
  readonly now?: () => number
  /** Name of the plugin, for log lines. */
  readonly plugin?: string
}

/** Thrown when no key set was ever loaded. */
export class JwksUnavailableError extends Error {
  constructor(url: string) {
    super(`no JSON Web Key Set could be loaded from ${url}`)
    this.name = 'JwksUnavailableError'
  }
}

/** A key set from one URL with TTL, cooldown and stale reuse. */
export class JwksCache {
  readonly #url: string
  readonly #ttlMs: number
  readonly #cooldownMs: number
  readonly #timeoutMs: number
  readonly #now: () => number
  readonly #plugin: string
  // Created with the first fetch, so that undici and jose load only when a JWKS is used.
  #agent: Agent | undefined
  #set: KeySet | undefined
  #fetchedAt = Number.NEGATIVE_INFINITY
  #attemptedAt = Number.NEGATIVE_INFINITY
  #inflight: Promise<boolean> | undefined
  /** Successful and failed fetches so far (for tests and diagnostics). */
  fetches = 0
  failures = 0

  constructor(options: JwksCacheOptions) {
    this.#url = options.url
    this.#ttlMs = options.ttlMs
    this.#cooldownMs = Math.min(options.ttlMs, MAX_COOLDOWN_MS)
    this.#timeoutMs = options.timeoutMs ?? 5_000
    this.#now = options.now ?? Date.now
    this.#plugin = options.plugin ?? ''
  }

  /** The key the token's header names; loads or refreshes the set as needed. */
  async resolve(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<JwksKey> {
    if (this.#set === undefined) await this.refresh()
    else if (this.#now() - this.#fetchedAt >= this.#ttlMs) void this.refresh()
    const set = this.#set
    if (set === undefined) throw new JwksUnavailableError(this.#url)
    try {
      return await set(header, token)
    } catch (err) {
      const { errors } = await loadJose()
      // An unknown `kid` may be a key rotated in since the last fetch.
      if (!(err instanceof errors.JWKSNoMatchingKey) || !(await this.refresh())) throw err
      return (this.#set ?? set)(header, token)
    }
  }

  /**
   * Fetches the set unless a fetch runs (then joins it) or the cooldown has not passed; resolves
   * to true when a new set was loaded. Never rejects: a failure keeps the old set.
   */
  refresh(): Promise<boolean> {
    if (this.#inflight !== undefined) return this.#inflight
    if (this.#now() - this.#attemptedAt < this.#cooldownMs) return Promise.resolve(false)
    this.#attemptedAt = this.#now()
    const inflight = this.#load().then(
      (set) => {
        this.#set = set
        this.#fetchedAt = this.#now()
        this.fetches++
        return true
      },
      (err: unknown) => {
        this.failures++
        const stale = this.#set !== undefined
        log.warn('JWKS fetch failed', { plugin: this.#plugin, url: this.#url, stale, err })
        return false
      },
    )
    this.#inflight = inflight.finally(() => (this.#inflight = undefined))
    return this.#inflight
  }

  async #load(): Promise<KeySet> {
    const [{ Agent, request }, { createLocalJWKSet }] = await Promise.all([
      import('undici'),
      loadJose(),
    ])
    this.#agent ??= new Agent({ keepAliveTimeout: 30_000 })
    const res = await request(this.#url, {
      dispatcher: this.#agent,
      headers: { accept: 'application/jwk-set+json, application/json' },
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      signal: AbortSignal.timeout(this.#timeoutMs),
    })
    if (res.statusCode !== 200) {
      await res.body.dump()
      throw new Error(`status ${res.statusCode}`)
    }
    const text = (await readBody(res.body, MAX_JWKS_BYTES)).toString('utf8')
    // createLocalJWKSet checks the shape (a `keys` array of objects) and throws JWKSInvalid.
    return createLocalJWKSet(JSON.parse(text) as Parameters<typeof createLocalJWKSet>[0])
  }

  /** Closes the kept-alive connection to the JWKS server. */
  async close(): Promise<void> {
    await this.#agent?.close()
  }
}
