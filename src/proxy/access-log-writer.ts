/**
 * Writes access-log lines without ever blocking a request: lines are queued, joined and
 * written on the libuv thread pool (stdout or an appended file) every FLUSH_MS, or at once when
 * FLUSH_LINES are waiting. Each write is a thread-pool round trip (two thread wake-ups), so
 * writing once per event-loop turn cost a few per cent of a busy process's CPU; a line waits at
 * most FLUSH_MS (nginx's `access_log … flush=` does the same), and close() writes the rest.
 * When the sink is slower than the traffic the bounded queue drops lines and counts them.
 */
import { close, open, rename, stat, write } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { promisify } from 'node:util'
import { periodOf } from '../core/log-file.ts'
import { logger } from '../core/logger.ts'
import type { AccessLogRolling } from './access-log.ts'

const openAsync = promisify(open)
const closeAsync = promisify(close)
const renameAsync = promisify(rename)
const statAsync = promisify(stat)

/** Where the lines go and how the file rotates. */
export interface AccessLogTarget {
  /** The log file (already `~`-expanded); undefined = stdout. */
  path?: string | undefined
  rolling: AccessLogRolling
  /** Lines that may wait for the sink before new ones are dropped (default 65536). */
  queueSize?: number | undefined
  /** Clock in epoch ms, for rotation; tests inject one. */
  now?: (() => number) | undefined
}

export interface AccessLogWriter {
  /** Queues one line (without its `\n`); never blocks, drops when the queue is full. */
  write(line: string): void
  /** Resolves when every queued line has been written. */
  flush(): Promise<void>
  /** Flushes, then closes the file. Later writes are dropped. */
  close(): Promise<void>
  /** Lines dropped so far. */
  readonly dropped: number
}

const DEFAULT_QUEUE = 65_536
/** Longest a queued line waits for its write. */
const FLUSH_MS = 20
/** Lines that trigger a write without waiting for FLUSH_MS. */
const FLUSH_LINES = 2048
const STDOUT_FD = 1
const DROP_WARN_INTERVAL_MS = 10_000
const log = logger.child({ module: 'access-log' })

/** Writes the whole buffer; a non-blocking stdout may answer EAGAIN, then retry shortly. */
function writeAll(fd: number, buf: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let offset = 0
    const step = (): void => {
      write(fd, buf, offset, buf.length - offset, null, (err, written) => {
        if (err?.code === 'EAGAIN') return void setTimeout(step, 5)
        if (err) return reject(err)
        offset += written
        if (offset < buf.length) step()
        else resolve()
      })
    }
    step()
  })
}

async function exists(path: string): Promise<boolean> {
  return statAsync(path).then(
    () => true,
    () => false,
  )
}

/** Moves `path` aside as `<path>.<period>` (`.1`, `.2` … if that name is taken). */
async function moveAside(path: string, period: string): Promise<void> {
  let target = `${path}.${period}`
  for (let n = 1; await exists(target); n++) target = `${path}.${period}.${n}`
  await renameAsync(path, target)
}

class Writer implements AccessLogWriter {
  readonly #path: string | undefined
  readonly #rolling: AccessLogRolling
  readonly #max: number
  readonly #now: () => number
  #queue: string[] = []
  #fd: number | undefined
  #period = ''
  #scheduled = false
  #running: Promise<void> | undefined
  #closed = false
  #dropped = 0
  #lastWarn = 0

  constructor(target: AccessLogTarget) {
    this.#path = target.path
    this.#rolling = target.rolling
    this.#max = target.queueSize ?? DEFAULT_QUEUE
    this.#now = target.now ?? Date.now
  }

  get dropped(): number {
    return this.#dropped
  }

  write(line: string): void {
    if (this.#closed || this.#queue.length >= this.#max) return this.#drop(1)
    const waiting = this.#queue.push(line)
    if (this.#running !== undefined) return
    if (waiting >= FLUSH_LINES) void this.flush()
    else this.#schedule()
  }

  flush(): Promise<void> {
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined
      // Lines queued after the last batch but before this callback still need a flush.
      if (this.#queue.length > 0) this.#schedule()
    })
    return this.#running
  }

  /** One write per FLUSH_MS batches every line of that time (the timer never keeps Node up). */
  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setTimeout(() => {
      this.#scheduled = false
      void this.flush()
    }, FLUSH_MS).unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.flush()
    if (this.#fd !== undefined) await closeAsync(this.#fd).catch(() => undefined)
    this.#fd = undefined
  }

  /** Writes batches until the queue is empty; lines queued meanwhile join the next batch. */
  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const lines = this.#queue
      this.#queue = []
      try {
        const fd = await this.#fdForNow()
        await writeAll(fd, Buffer.from(`${lines.join('\n')}\n`))
      } catch (err) {
        this.#drop(lines.length, err)
        await this.#reset()
      }
    }
  }

  /** The fd to write to, opening or rotating the file when the period changed. */
  async #fdForNow(): Promise<number> {
    if (this.#path === undefined) return STDOUT_FD
    const period = periodOf(this.#now(), this.#rolling)
    if (this.#fd !== undefined && period === this.#period) return this.#fd
    if (this.#fd !== undefined) {
      await closeAsync(this.#fd)
      this.#fd = undefined
      await moveAside(this.#path, this.#period)
    } else {
      await this.#rotateStale(period)
    }
    await mkdir(dirname(this.#path), { recursive: true })
    this.#fd = await openAsync(this.#path, 'a')
    this.#period = period
    return this.#fd
  }

  /** A file left by an earlier run in an earlier period is rotated before appending. */
  async #rotateStale(period: string): Promise<void> {
    if (this.#rolling === 'never' || this.#path === undefined) return
    const info = await statAsync(this.#path).catch(() => undefined)
    if (info === undefined || info.size === 0) return
    const old = periodOf(info.mtimeMs, this.#rolling)
    if (old !== period) await moveAside(this.#path, old)
  }

  async #reset(): Promise<void> {
    if (this.#fd !== undefined) await closeAsync(this.#fd).catch(() => undefined)
    this.#fd = undefined
  }

  #drop(count: number, err?: unknown): void {
    this.#dropped += count
    const now = Date.now()
    if (err === undefined && now - this.#lastWarn < DROP_WARN_INTERVAL_MS) return
    this.#lastWarn = now
    log.warn('access log lines dropped', { dropped: this.#dropped, path: this.#path, error: err })
  }
}

/** A writer for one access-log target (stdout when `path` is undefined). */
export function createAccessLogWriter(target: AccessLogTarget): AccessLogWriter {
  return new Writer(target)
}
