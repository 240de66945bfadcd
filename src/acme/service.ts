/**
 * The control-plane side of certificates: the daily validity check (spec §11.5) and the ACME
 * scheduler (spec §11.1). One instance runs where the config store lives: the single process,
 * or the cluster primary.
 */
import type { ConfigStore } from '../config/store.ts'
import type { PingapConfig } from '../config/types.ts'
import { ValidityMonitor, type SniStore } from '../tls/index.ts'

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

  constructor(deps: CertificateServiceDeps) {
    this.#validity = new ValidityMonitor(() => deps.certificates().certificates)
  }

  /** Checks validity now and daily. */
  start(): void {
    this.#validity.start()
  }

  /** After a config change: certificates not seen before are checked. */
  published(): void {
    this.#validity.checkNew()
  }

  stop(): void {
    this.#validity.stop()
  }
}
