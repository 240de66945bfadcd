/**
 * The control-plane side of certificates: the daily validity check (spec §11.5) and the ACME
 * scheduler (spec §11.1). One instance runs where the config store lives: the single process,
 * or the cluster primary. `PINGAP_DISABLE_ACME` (non-empty) turns ACME off, as in Pingap; the
 * challenge listener is still opened.
 */
import type { ConfigStore } from '../config/store.ts'
import type { PingapConfig } from '../config/types.ts'
import { logger } from '../core/logger.ts'
import { ValidityMonitor, type SniStore } from '../tls/index.ts'
import { AcmeScheduler } from './scheduler.ts'

const log = logger.child({ module: 'acme' })

/** What the service reads and calls; all of it comes from the composition root. */
export interface CertificateServiceDeps {
  readonly store: ConfigStore
  /** The live config and certificate store (read on every run, never cached). */
  readonly config: () => PingapConfig
  readonly certificates: () => SniStore
  /** Re-reads the store and applies it (the config pipeline). */
  readonly reload: (source: string) => Promise<unknown>
}

export class CertificateService {
  readonly #validity: ValidityMonitor
  readonly #acme: AcmeScheduler | undefined

  constructor(deps: CertificateServiceDeps) {
    this.#validity = new ValidityMonitor(() => deps.certificates().certificates)
    const disabled = (process.env['PINGAP_DISABLE_ACME'] ?? '') !== ''
    this.#acme = disabled ? undefined : new AcmeScheduler(deps)
  }

  /** Checks validity now and daily; starts ACME. */
  start(): void {
    this.#validity.start()
    if (this.#acme === undefined) log.info('ACME is disabled (PINGAP_DISABLE_ACME)')
    this.#acme?.start()
  }

  /** After a config change: new certificates are checked, ACME looks again soon. */
  published(): void {
    this.#validity.checkNew()
    this.#acme?.trigger()
  }

  stop(): void {
    this.#validity.stop()
    this.#acme?.stop()
  }
}
