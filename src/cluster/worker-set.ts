/**
 * The primary's view of its worker processes: forks them, routes their messages, waits for
 * `ready` and acknowledgements, drains them, and replaces one that died unexpectedly, at once
 * the first time and with exponential back-off while they keep crashing soon after start.
 */
import cluster, { type Worker } from 'node:cluster'
import { logger } from '../core/logger.ts'
import { asToPrimary, envelope, type ToPrimary, type ToWorker } from './messages.ts'

const log = logger.child({ module: 'cluster' })

/** A worker that lived shorter than this before dying counts as crash-looping. */
const CRASH_WINDOW_MS = 10_000
const BACKOFF_BASE_MS = 250
const BACKOFF_MAX_MS = 30_000
/** Extra time a draining worker gets beyond its own grace and timeout before SIGKILL. */
const DRAIN_MARGIN_MS = 5_000

export type WorkerState = 'starting' | 'ready' | 'draining'

type WorkerEvent =
  | ToPrimary
  | { readonly type: 'exit'; readonly code: number | null; readonly signal: string | null }

/** One worker process as the primary tracks it. */
export class WorkerHandle {
  readonly worker: Worker
  readonly startedAt = Date.now()
  state: WorkerState = 'starting'
  /** The last version it applied (0 before its first). */
  version = 0
  exited = false
  /** It said hello, so it has (or is about to have) a version to update. */
  greeted = false
  readonly #listeners = new Set<(event: WorkerEvent) => void>()

  constructor(worker: Worker) {
    this.worker = worker
  }

  get id(): number {
    return this.worker.id
  }

  get pid(): number | undefined {
    return this.worker.process.pid
  }

  send(message: ToWorker): void {
    if (this.exited || !this.worker.isConnected()) return
    this.worker.send(envelope(message))
  }

  /** Resolves with the first event `pick` accepts (or rejects when it throws). */
  next<T>(
    pick: (event: WorkerEvent) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#listeners.delete(listener)
      }
      const listener = (event: WorkerEvent): void => {
        try {
          const value = pick(event)
          if (value === undefined) return
          done()
          resolve(value)
        } catch (err) {
          done()
          reject(err instanceof Error ? err : new Error(String(err)))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`worker ${this.id} (pid ${this.pid}): no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#listeners.add(listener)
    })
  }

  emit(event: WorkerEvent): void {
    for (const listener of [...this.#listeners]) listener(event)
  }
}

export interface WorkerSetEvents {
  /** The worker's handler is installed: send it the current version. */
  onHello(handle: WorkerHandle): void
  /** A worker was replaced or could not be; for logs and status. */
  onReplaced?(dead: WorkerHandle, fresh: WorkerHandle): void
  /** Every protocol message of a worker (requests such as `metrics-request`). */
  onMessage?(handle: WorkerHandle, message: ToPrimary): void
}

export class WorkerSet {
  readonly #events: WorkerSetEvents
  readonly #handles = new Map<number, WorkerHandle>()
  readonly #timers = new Set<NodeJS.Timeout>()
  /** Unexpected exits replace the worker only once the primary has started. */
  #replacing = false
  #stopping = false
  #crashes = 0
  /** How many serving workers there should be. */
  #wanted = 0

  constructor(events: WorkerSetEvents) {
    this.#events = events
  }

  /** Workers that serve or are starting (draining ones excluded). */
  live(): WorkerHandle[] {
    return [...this.#handles.values()].filter((h) => h.state !== 'draining' && !h.exited)
  }

  /** Every process still running, draining ones included. */
  all(): WorkerHandle[] {
    return [...this.#handles.values()].filter((h) => !h.exited)
  }

  /** From now on an unexpected exit forks a replacement. */
  replaceDeadWorkers(on: boolean): void {
    this.#replacing = on
  }

  /**
   * Sets how many workers should serve: forks the missing ones, drains the oldest extra ones.
   * Returns the workers forked.
   */
  resize(wanted: number, graceMs: number, timeoutMs: number): WorkerHandle[] {
    this.#wanted = wanted
    const live = this.live()
    const forked: WorkerHandle[] = []
    for (let i = live.length; i < wanted; i++) forked.push(this.fork())
    for (const extra of live.slice(0, Math.max(0, live.length - wanted))) {
      void this.drain(extra, graceMs, timeoutMs)
    }
    return forked
  }

  /** Forks one worker (the same binary and arguments, re-executed by node:cluster). */
  fork(): WorkerHandle {
    const handle = new WorkerHandle(cluster.fork())
    this.#handles.set(handle.id, handle)
    handle.worker.on('message', (raw: unknown) => {
      const message = asToPrimary(raw)
      if (message === undefined) return
      if (message.type === 'hello') {
        handle.greeted = true
        this.#events.onHello(handle)
      }
      if (message.type === 'ready') {
        if (handle.state === 'starting') handle.state = 'ready'
        log.info('worker ready', { worker: handle.id, pid: handle.pid, version: message.version })
      }
      if (message.type === 'ready' || message.type === 'applied') handle.version = message.version
      this.#events.onMessage?.(handle, message)
      handle.emit(message)
    })
    handle.worker.on('exit', (code: number | null, signal: string | null) =>
      this.#onExit(handle, code, signal),
    )
    log.info('worker forked', { worker: handle.id, pid: handle.pid })
    return handle
  }

  /** Resolves when `handle` is ready; rejects if it exits or rejects its first version first. */
  waitReady(handle: WorkerHandle, timeoutMs: number): Promise<void> {
    if (handle.state === 'ready') return Promise.resolve()
    return handle
      .next(
        (event) => {
          if (event.type === 'ready') return true
          if (event.type === 'rejected') throw new Error(event.errors.join('; '))
          if (event.type === 'exit') {
            throw new Error(
              `worker ${handle.id} exited (${event.signal ?? event.code}) before ready`,
            )
          }
          return undefined
        },
        timeoutMs,
        'ready',
      )
      .then(() => undefined)
  }

  /** Tells `handle` to drain and resolves once it exited (SIGKILL if it overstays). */
  drain(handle: WorkerHandle, graceMs: number, timeoutMs: number): Promise<void> {
    if (handle.exited) return Promise.resolve()
    handle.state = 'draining'
    const exited = handle.next((e) => (e.type === 'exit' ? true : undefined), 2 ** 31 - 1, 'exit')
    handle.send({ type: 'drain', graceMs, timeoutMs })
    const timer = setTimeout(
      () => {
        log.warn('worker overstayed its drain; killing it', { worker: handle.id, pid: handle.pid })
        handle.worker.process.kill('SIGKILL')
      },
      graceMs + timeoutMs + DRAIN_MARGIN_MS,
    )
    return exited.then(() => clearTimeout(timer))
  }

  /** Drains every worker at once and stops replacing them (shutdown). */
  async drainAll(graceMs: number, timeoutMs: number): Promise<void> {
    this.#stopping = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    await Promise.all(this.all().map((h) => this.drain(h, graceMs, timeoutMs)))
  }

  /** Kills every worker now (start-up failed). */
  killAll(): void {
    this.#stopping = true
    for (const handle of this.all()) handle.worker.process.kill('SIGKILL')
  }

  #onExit(handle: WorkerHandle, code: number | null, signal: string | null): void {
    handle.exited = true
    this.#handles.delete(handle.id)
    const expected = handle.state === 'draining' || this.#stopping
    const fields = { worker: handle.id, pid: handle.pid, code, signal }
    if (expected) log.info('worker exited', fields)
    else log.error('worker died', fields)
    handle.emit({ type: 'exit', code, signal })
    if (expected || !this.#replacing) return
    const lived = Date.now() - handle.startedAt
    this.#crashes = lived < CRASH_WINDOW_MS ? this.#crashes + 1 : 1
    const delay =
      this.#crashes <= 1 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.#crashes - 2))
    if (delay > 0) log.warn('workers keep crashing; backing off', { delayMs: delay })
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      // A rolling restart may have forked its own replacement already.
      if (this.#stopping || this.live().length >= this.#wanted) return
      const fresh = this.fork()
      this.#events.onReplaced?.(handle, fresh)
    }, delay)
    this.#timers.add(timer)
  }
}
