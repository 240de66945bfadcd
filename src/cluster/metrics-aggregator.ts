/**
 * Metrics of the whole cluster, computed in the primary: a scrape that reaches any worker is
 * answered with the sum over every worker. The primary asks each live worker for its metrics
 * (prom-client's JSON), sums them with prom-client's `AggregatorRegistry.aggregate()` (each
 * metric's `aggregator` decides: sum, max, min …) and renders the text. The control metrics
 * (config reloads, health transitions) are the primary's own: workers only apply what the
 * primary decided, so their copies would count every reload once per worker.
 */
import { logger } from '../core/logger.ts'
import type { WorkerHandle } from './worker-set.ts'

const log = logger.child({ module: 'cluster' })

/** How long the primary waits for one worker's metrics before leaving it out of a scrape. */
export const COLLECT_TIMEOUT_MS = 3_000

/** One metric in prom-client's JSON form; only the name matters here. */
interface NamedMetric {
  readonly name: string
}

export interface AggregatorDeps {
  /** The workers that serve now. */
  readonly workers: () => readonly WorkerHandle[]
  /** The primary's own control metrics (prom-client's JSON). */
  readonly control: () => Promise<readonly NamedMetric[]>
  readonly timeoutMs?: number
}

function named(value: unknown): value is NamedMetric {
  return (
    typeof value === 'object' && value !== null && typeof (value as NamedMetric).name === 'string'
  )
}

export class MetricsAggregator {
  readonly #deps: AggregatorDeps
  #nextId = 1

  constructor(deps: AggregatorDeps) {
    this.#deps = deps
  }

  /** The text exposition of every worker's metrics summed, plus the primary's control metrics. */
  async render(): Promise<string> {
    const [{ AggregatorRegistry }, control, perWorker] = await Promise.all([
      import('prom-client'),
      this.#deps.control(),
      Promise.all(this.#deps.workers().map((h) => this.#collect(h))),
    ])
    const controlNames = new Set(control.map((m) => m.name))
    const sets = perWorker.map((metrics) => metrics.filter((m) => !controlNames.has(m.name)))
    sets.push([...control])
    const registry = AggregatorRegistry.aggregate(sets)
    return await registry.metrics()
  }

  /** One worker's metrics; empty (and a warning) when it exits or does not answer in time. */
  async #collect(handle: WorkerHandle): Promise<NamedMetric[]> {
    const id = this.#nextId++
    const answer = handle.next<{ metrics: readonly unknown[] }>(
      (event) => {
        if (event.type === 'exit') return { metrics: [] }
        return event.type === 'metrics' && event.id === id ? { metrics: event.metrics } : undefined
      },
      this.#deps.timeoutMs ?? COLLECT_TIMEOUT_MS,
      'metrics',
    )
    handle.send({ type: 'metrics-collect', id })
    try {
      return (await answer).metrics.filter(named)
    } catch (err) {
      log.warn('a worker did not send its metrics; the scrape leaves it out', {
        worker: handle.id,
        pid: handle.pid,
        err,
      })
      return []
    }
  }
}
