/**
 * The export queue of one server (OpenTelemetry's batch span processor semantics, without its
 * per-span objects): finished requests wait in an array; a batch leaves when
 * `max_export_batch_size` spans are queued or `scheduled_delay` after the first one, one export
 * at a time; past `max_queue_size` spans are dropped so a slow collector never holds requests.
 */
import { logger } from '../core/logger.ts'
import type { RequestSpans, SpanSink } from './spans.ts'

const log = logger.child({ module: 'tracing' })

const MAX_TIMER_MS = 2 ** 31 - 1

/** Export failures are logged at most this often. */
const ERROR_LOG_INTERVAL_MS = 10_000
let lastErrorLog = 0

function reportFailure(err: unknown): void {
  const now = Date.now()
  if (now - lastErrorLog < ERROR_LOG_INTERVAL_MS) return
  lastErrorLog = now
  log.warn('trace export failed', { err })
}

/** Sends one batch to the collector; rejects when it was not accepted. */
export interface BatchExporter {
  export(batch: readonly RequestSpans[]): Promise<void>
  /** Releases connections. */
  shutdown(): Promise<void>
}

/** The batch settings of `otlp_exporter`. */
export interface BatchOptions {
  readonly maxQueueSize: number
  readonly maxExportBatchSize: number
  readonly scheduledDelayMs: number
}

function spanCount(trace: RequestSpans): number {
  return 1 + trace.clients.length
}

/** Queues finished requests and exports them in batches. */
export class Batcher implements SpanSink {
  readonly #exporter: BatchExporter
  readonly #maxQueue: number
  readonly #batchSize: number
  readonly #delayMs: number
  #queue: RequestSpans[] = []
  #queued = 0
  #timer: NodeJS.Timeout | undefined = undefined
  #immediate: NodeJS.Immediate | undefined = undefined
  #busy: Promise<void> | undefined = undefined
  #stopped = false
  /** Spans dropped because the queue was full (tests, status). */
  dropped = 0

  constructor(exporter: BatchExporter, options: BatchOptions) {
    this.#exporter = exporter
    this.#maxQueue = options.maxQueueSize
    this.#batchSize = Math.min(options.maxExportBatchSize, options.maxQueueSize)
    // Node fires longer timers at once (with a warning): cap at its ~24.8-day maximum.
    this.#delayMs = Math.min(options.scheduledDelayMs, MAX_TIMER_MS)
  }

  add(trace: RequestSpans): void {
    const n = spanCount(trace)
    if (this.#stopped || this.#queued + n > this.#maxQueue) {
      this.dropped += n
      return
    }
    this.#queue.push(trace)
    this.#queued += n
    this.#schedule()
  }

  #schedule(): void {
    if (this.#busy !== undefined || this.#stopped) return
    if (this.#queued >= this.#batchSize) {
      // Off the response's close callback: encoding is not the request's business.
      this.#immediate ??= setImmediate(this.#run)
    } else if (this.#queued > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(this.#run, this.#delayMs)
      this.#timer.unref()
    }
  }

  #take(): RequestSpans[] {
    let spans = 0
    let i = 0
    while (i < this.#queue.length && spans < this.#batchSize) {
      spans += spanCount(this.#queue[i] as RequestSpans)
      i++
    }
    const batch = this.#queue.length === i ? this.#queue : this.#queue.slice(0, i)
    this.#queue = this.#queue.length === i ? [] : this.#queue.slice(i)
    this.#queued -= spans
    return batch
  }

  #run = (): void => {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#immediate = undefined
    if (this.#busy !== undefined || this.#queue.length === 0) return
    this.#busy = this.#exporter
      .export(this.#take())
      .catch(reportFailure)
      .finally(() => {
        this.#busy = undefined
        this.#schedule()
      })
  }

  /** Exports everything queued (waiting for the export in flight), then stops. */
  async shutdown(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    if (this.#immediate !== undefined) clearImmediate(this.#immediate)
    await this.#busy
    while (this.#queue.length > 0) await this.#exporter.export(this.#take()).catch(reportFailure)
    await this.#exporter.shutdown()
  }
}
