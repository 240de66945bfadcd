/**
 * Pushes the metrics to Pushgateway-compatible receivers on an interval (`prometheus_metrics`
 * set to a URL): a POST of the text exposition to the URL as configured, with basic auth
 * from its credentials. Pushes never overlap and never block traffic; a failure is logged
 * once per failure streak and retried at the next interval.
 */
import { logger } from '../core/logger.ts'
import type { PrometheusTarget } from './target.ts'

const log = logger.child({ module: 'metrics' })

/** Longest a push may take. */
const PUSH_TIMEOUT_MS = 10_000

type PushTarget = Extract<PrometheusTarget, { kind: 'push' }>

/** Renders the text to push. */
export type RenderMetrics = () => Promise<string>

/** Sends one push; rejects on a network error or a non-2xx answer. */
export async function pushOnce(
  target: PushTarget,
  body: string,
  contentType: string,
): Promise<void> {
  const headers: Record<string, string> = { 'content-type': contentType }
  if (target.authorization !== undefined) headers['authorization'] = target.authorization
  const res = await fetch(target.url, {
    method: 'POST',
    headers,
    body,
    signal: AbortSignal.timeout(Math.min(PUSH_TIMEOUT_MS, target.intervalMs)),
  })
  await res.arrayBuffer().catch(() => undefined)
  if (res.status < 200 || res.status >= 300) throw new Error(`push answered ${res.status}`)
}

class Pusher {
  readonly target: PushTarget
  readonly #render: RenderMetrics
  readonly #contentType: string
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  #failing = false

  constructor(target: PushTarget, render: RenderMetrics, contentType: string) {
    this.target = target
    this.#render = render
    this.#contentType = contentType
    this.#schedule()
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      void this.push().finally(() => {
        if (this.#timer !== undefined) this.#schedule()
      })
    }, this.target.intervalMs)
    // Pushing alone must not keep the process alive.
    this.#timer.unref()
  }

  push(): Promise<void> {
    this.#running ??= this.#pushNow().finally(() => (this.#running = undefined))
    return this.#running
  }

  async #pushNow(): Promise<void> {
    try {
      await pushOnce(this.target, await this.#render(), this.#contentType)
      if (this.#failing) log.info('metrics push recovered', { url: this.target.url })
      this.#failing = false
    } catch (err) {
      if (!this.#failing) log.warn('metrics push failed', { url: this.target.url, err })
      this.#failing = true
    }
  }

  /** Stops the timer; `flush` pushes one last time (shutdown). */
  async stop(flush: boolean): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running
    if (flush) await this.push()
  }
}

/** The pushers of the version being served, one per distinct URL and interval. */
export class Pushers {
  readonly #render: RenderMetrics
  readonly #contentType: string
  readonly #pushers = new Map<string, Pusher>()

  constructor(render: RenderMetrics, contentType: string) {
    this.#render = render
    this.#contentType = contentType
  }

  /** Starts pushers for new targets and stops those no longer configured. */
  sync(targets: Iterable<PushTarget>): void {
    const wanted = new Map<string, PushTarget>()
    for (const t of targets) wanted.set(`${t.url} ${t.intervalMs} ${t.authorization ?? ''}`, t)
    for (const [key, pusher] of this.#pushers) {
      if (wanted.has(key)) continue
      void pusher.stop(false)
      this.#pushers.delete(key)
    }
    for (const [key, target] of wanted) {
      if (this.#pushers.has(key)) continue
      this.#pushers.set(key, new Pusher(target, this.#render, this.#contentType))
      log.info('pushing metrics', { url: target.url, intervalMs: target.intervalMs })
    }
  }

  /** Stops every pusher after one last push, so the final counts are not lost. */
  async close(): Promise<void> {
    const all = [...this.#pushers.values()]
    this.#pushers.clear()
    await Promise.allSettled(all.map((p) => p.stop(true)))
  }
}
