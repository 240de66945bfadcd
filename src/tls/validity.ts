/**
 * Certificate validity checks (spec §11.5): at load and once a day, every certificate that is
 * expired, not yet valid, or within its warning window (`buffer_days`, 0 → 7 days) is logged,
 * and one `tls_validity` notification lists them all.
 */
import { logger } from '../core/logger.ts'
import { emitNotification } from '../core/notifications.ts'
import type { LoadedCertificate } from './certificate.ts'

const log = logger.child({ module: 'tls' })

const DAY_MS = 86_400_000

/** One certificate that needs attention. */
export interface ValidityProblem {
  readonly name: string
  readonly state: 'expired' | 'expiring' | 'not-yet-valid'
  readonly notAfter: Date
  readonly daysLeft: number
}

/** The certificates that are expired, not yet valid, or expire within their warning window. */
export function validityProblems(
  certificates: readonly LoadedCertificate[],
  now = Date.now(),
): ValidityProblem[] {
  const problems: ValidityProblem[] = []
  for (const cert of certificates) {
    const left = cert.notAfter.getTime() - now
    const daysLeft = Math.floor(left / DAY_MS)
    let state: ValidityProblem['state'] | undefined
    if (left <= 0) state = 'expired'
    else if (now < cert.notBefore.getTime()) state = 'not-yet-valid'
    else if (left < cert.warningDays * DAY_MS) state = 'expiring'
    if (state !== undefined) {
      problems.push({ name: cert.name, state, notAfter: cert.notAfter, daysLeft })
    }
  }
  return problems
}

/** One problem in words, e.g. `certificate web expires in 3 days (2026-12-01T00:00:00.000Z)`. */
function describeProblem(p: ValidityProblem): string {
  const until = p.notAfter.toISOString()
  if (p.state === 'expired') return `certificate ${p.name} expired (${until})`
  if (p.state === 'not-yet-valid') return `certificate ${p.name} is not yet valid`
  const days = p.daysLeft === 1 ? '1 day' : `${p.daysLeft} days`
  return `certificate ${p.name} expires in ${days} (${until})`
}

/**
 * Logs the problems of `certificates` and sends one `tls_validity` notification for all of
 * them; returns them (for tests and the admin status).
 */
export function reportValidity(certificates: readonly LoadedCertificate[]): ValidityProblem[] {
  const problems = validityProblems(certificates)
  for (const p of problems) {
    log.warn(`certificate ${p.name} ${p.state === 'expiring' ? 'will expire soon' : p.state}`, {
      certificate: p.name,
      state: p.state,
      notAfter: p.notAfter.toISOString(),
      daysLeft: p.daysLeft,
    })
  }
  if (problems.length > 0) {
    emitNotification({
      category: 'tls_validity',
      level: problems.some((p) => p.state !== 'expiring') ? 'error' : 'warn',
      message: problems.map(describeProblem).join('\n'),
    })
  }
  return problems
}

/** Re-checks the current certificates once a day; the timer never keeps the process alive. */
export class ValidityMonitor {
  readonly #current: () => readonly LoadedCertificate[]
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  #checked = new WeakSet<LoadedCertificate>()

  constructor(current: () => readonly LoadedCertificate[], intervalMs = DAY_MS) {
    this.#current = current
    this.#intervalMs = intervalMs
  }

  /** Checks now, then every interval. */
  start(): void {
    this.checkAll()
    this.#timer = setInterval(() => this.checkAll(), this.#intervalMs)
    this.#timer.unref()
  }

  /** Checks every certificate (the daily run). */
  checkAll(): ValidityProblem[] {
    const certs = this.#current()
    for (const c of certs) this.#checked.add(c)
    return reportValidity(certs)
  }

  /** Checks only certificates not seen before (after a reload). */
  checkNew(): ValidityProblem[] {
    const fresh = this.#current().filter((c) => !this.#checked.has(c))
    for (const c of fresh) this.#checked.add(c)
    return reportValidity(fresh)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }
}
