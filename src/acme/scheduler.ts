/**
 * Runs ACME (spec §11.1): every 10 minutes, and soon after any config change, each certificate
 * with `acme` is checked and, when renewalReason() says so, ordered. One run at a time; a failed
 * order backs off (1 min doubling to 1 h) and the old certificate keeps serving. Results go back
 * into the config store, so every process reading it gets them, and survive restarts.
 */
import type { ConfigStore } from '../config/store.ts'
import type { PingapConfig, RawTable } from '../config/types.ts'
import { logger } from '../core/logger.ts'
import { emitNotification } from '../core/notifications.ts'
import {
  acmeSettings,
  HTTP01_TOKEN_REMARK,
  type AcmeSettings,
  type SniStore,
} from '../tls/index.ts'
import { dnsProvider, type DnsProviderContext } from './dns.ts'
import { orderCertificate, type IssuedCertificate, type OrderContext } from './order.ts'
import { backoffMs, renewalReason } from './renewal.ts'

const log = logger.child({ module: 'acme' })

/** Pingap's ACME period. */
export const ACME_INTERVAL_MS = 10 * 60_000
/** HTTP-01 tokens older than this are deleted (an order interrupted by a restart). */
const STALE_TOKEN_S = 24 * 3600

export interface AcmeDeps {
  readonly store: ConfigStore
  readonly config: () => PingapConfig
  readonly certificates: () => SniStore
  /** Re-reads the store and applies it; resolves once every process serves the result. */
  readonly reload: (source: string) => Promise<unknown>
  /** Tests shorten the DNS propagation wait. */
  readonly dns?: Pick<DnsProviderContext, 'propagationTimeoutMs' | 'pollIntervalMs'>
  /** Replaces the real order (tests of the scheduling alone). */
  readonly order?: (settings: AcmeSettings, context: OrderContext) => Promise<IssuedCertificate>
  readonly now?: () => number
}

interface Failure {
  count: number
  until: number
}

/** The `lets_encrypt` notification of a failed order: what failed, what serves, when next. */
function orderFailedMessage(
  name: string,
  failures: number,
  retryInMs: number,
  err: unknown,
  hasCertificate: boolean,
): string {
  const why = err instanceof Error ? err.message : String(err)
  const serving = hasCertificate ? 'the current certificate stays in use' : 'no certificate yet'
  const times = failures === 1 ? 'once' : `${failures} times in a row`
  return (
    `certificate ${name}: ACME order failed ${times} (${why}); ${serving}; ` +
    `next try in ${Math.round(retryInMs / 60_000)} min`
  )
}

export class AcmeScheduler {
  readonly #deps: AcmeDeps
  readonly #failures = new Map<string, Failure>()
  #interval: NodeJS.Timeout | undefined
  #soon: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #again = false
  #stopped = false

  constructor(deps: AcmeDeps) {
    this.#deps = deps
  }

  /** First run now, then every ACME_INTERVAL_MS. */
  start(): void {
    this.#interval = setInterval(() => this.trigger(), ACME_INTERVAL_MS)
    this.#interval.unref()
    this.trigger()
  }

  /** Asks for a run soon (config changed); runs never overlap, requests coalesce. */
  trigger(): void {
    if (this.#stopped) return
    if (this.#running !== undefined) {
      this.#again = true
      return
    }
    if (this.#soon !== undefined) return
    this.#soon = setTimeout(() => {
      this.#soon = undefined
      void this.run()
    }, 0)
  }

  /** One pass over every ACME certificate; resolves when done (also used by tests). */
  run(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined
      if (this.#again && !this.#stopped) {
        this.#again = false
        this.trigger()
      }
    })
    return this.#running
  }

  stop(): void {
    this.#stopped = true
    clearInterval(this.#interval)
    clearTimeout(this.#soon)
  }

  async #pass(): Promise<void> {
    await this.#dropStaleTokens()
    const config = this.#deps.config()
    for (const [name, conf] of Object.entries(config.certificates)) {
      if (this.#stopped) return
      let settings: AcmeSettings | undefined
      try {
        settings = acmeSettings(name, conf)
      } catch (err) {
        log.error('ACME settings are invalid', { certificate: name, err })
        continue
      }
      if (settings === undefined) continue
      await this.#check(name, settings)
    }
  }

  async #check(name: string, settings: AcmeSettings): Promise<void> {
    const now = this.#deps.now?.() ?? Date.now()
    const failure = this.#failures.get(name)
    if (failure !== undefined && now < failure.until) return
    const current = this.#deps.certificates().certificates.find((c) => c.name === name)
    const reason = renewalReason(settings, current, now)
    if (reason === undefined) return
    log.info('ordering an ACME certificate', { certificate: name, reason })
    try {
      const issued = await (this.#deps.order ?? orderCertificate)(
        settings,
        this.#context(name, settings),
      )
      await this.#saveCertificate(name, issued)
      this.#failures.delete(name)
      log.info('ACME certificate installed', { certificate: name, domains: settings.domains })
      emitNotification({
        category: 'lets_encrypt',
        level: 'info',
        message: `certificate ${name}: new certificate for ${settings.domains.join(', ')} installed (reason: ${reason})`,
      })
    } catch (err) {
      const count = (failure?.count ?? 0) + 1
      const retryInMs = backoffMs(count)
      this.#failures.set(name, { count, until: now + retryInMs })
      log.error('ACME order failed; the current certificate stays in use', {
        certificate: name,
        failures: count,
        retryInMs,
        err,
      })
      emitNotification({
        category: 'lets_encrypt',
        level: 'error',
        message: orderFailedMessage(name, count, retryInMs, err, current !== undefined),
      })
    }
  }

  #context(name: string, settings: AcmeSettings): OrderContext {
    const saveStorage = (item: string, table: RawTable | undefined): Promise<void> =>
      this.#save('storages', item, table)
    return {
      name,
      http01: {
        present: (token, keyAuthorization) =>
          saveStorage(token, {
            category: 'config',
            value: keyAuthorization,
            remark: HTTP01_TOKEN_REMARK,
            created_at: Math.floor(Date.now() / 1000),
          }),
        cleanup: (token) => saveStorage(token, undefined),
      },
      ...(settings.challenge === 'dns-01'
        ? { dns: dnsProvider(name, settings, { saveStorage, ...this.#deps.dns }) }
        : {}),
    }
  }

  async #save(category: 'storages' | 'certificates', name: string, table: RawTable | undefined) {
    await this.#deps.store.save(category, name, table)
    await this.#deps.reload('acme')
  }

  async #saveCertificate(name: string, issued: IssuedCertificate): Promise<void> {
    const conf = this.#deps.config().certificates[name] ?? {}
    await this.#save('certificates', name, { ...conf, tls_cert: issued.cert, tls_key: issued.key })
  }

  async #dropStaleTokens(): Promise<void> {
    const now = Math.floor(Date.now() / 1000)
    for (const [name, item] of Object.entries(this.#deps.config().storages)) {
      if (item.remark !== HTTP01_TOKEN_REMARK) continue
      if (item.created_at !== undefined && now - item.created_at < STALE_TOKEN_S) continue
      try {
        await this.#save('storages', name, undefined)
      } catch (err) {
        log.warn('cannot delete a stale ACME token', { token: name, err })
      }
    }
  }
}
