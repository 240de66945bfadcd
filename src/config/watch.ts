/**
 * Turns file-system noise into "the config changed" signals. chokidar events are only hints:
 * each one (debounced) and a periodic timer re-compute a content fingerprint, and a signal is
 * given only when the fingerprint differs, so lost, duplicated or partial events never matter.
 */
import type { Stats } from 'node:fs'
import { logger } from '../core/logger.ts'
import { ChangeSignal } from './change-signal.ts'

const log = logger.child({ module: 'config' })

/** How a watched config is observed. */
export interface ChangeWatchOptions {
  /** Paths handed to chokidar. */
  readonly paths: readonly string[]
  /** Paths chokidar should not report (editor droppings, other files). */
  readonly ignored?: (path: string, stats?: Stats) => boolean
  /** Content hash of everything the store reads. */
  readonly fingerprint: () => Promise<string>
  /** The fingerprint of what the caller already has (read when watching starts), if known. */
  readonly baseline?: () => string | undefined
  readonly debounceMs?: number
  /** Re-check the fingerprint this often even without events. */
  readonly recheckMs?: number
  /** Use stat polling instead of inotify/FSEvents (network filesystems, ConfigMap mounts). */
  readonly usePolling?: boolean
  readonly pollIntervalMs?: number
  /** Called once the file-system watcher has finished its initial scan. */
  readonly onReady?: () => void
}

/** Yields once per settled change of the fingerprint until `signal` aborts. Never throws. */
export async function* watchChanges(
  signal: AbortSignal,
  options: ChangeWatchOptions,
): AsyncGenerator<void> {
  if (signal.aborted) return
  // chokidar loads only when something is watched (autoreload): idle RSS (issue 4).
  const { watch: chokidarWatch } = await import('chokidar')
  let last = options.baseline?.() ?? (await safeFingerprint(options))
  const changes = new ChangeSignal()
  let checking: Promise<void> | undefined
  let again = false

  const check = (): void => {
    if (checking !== undefined) {
      again = true
      return
    }
    checking = (async () => {
      do {
        again = false
        const now = await safeFingerprint(options)
        if (now !== undefined && now !== last) {
          last = now
          changes.notify()
        }
      } while (again && !signal.aborted)
    })().finally(() => {
      checking = undefined
    })
  }

  let debounce: NodeJS.Timeout | undefined
  const hint = (): void => {
    clearTimeout(debounce)
    debounce = setTimeout(check, options.debounceMs ?? 200)
    debounce.unref()
  }
  const timer = setInterval(check, options.recheckMs ?? 2000)
  timer.unref()
  const watcher = chokidarWatch([...options.paths], {
    ignoreInitial: true,
    usePolling: options.usePolling ?? false,
    interval: options.pollIntervalMs ?? 1000,
    ...(options.ignored === undefined ? {} : { ignored: options.ignored }),
  })
  watcher.on('all', hint)
  watcher.on('error', (err: unknown) => log.warn('config watcher error', { err }))
  if (options.onReady !== undefined) watcher.once('ready', options.onReady)

  // Resources are released as soon as the signal aborts, even if the consumer never asks for
  // the next value (a generator suspended at `yield` would not reach its finally block).
  let closed: Promise<void> | undefined
  const release = (): Promise<void> => {
    closed ??= (async () => {
      clearTimeout(debounce)
      clearInterval(timer)
      await watcher
        .close()
        .catch((err: unknown) => log.warn('config watcher close failed', { err }))
    })()
    return closed
  }
  const onAbort = (): void => void release()
  signal.addEventListener('abort', onAbort, { once: true })

  try {
    yield* changes.until(signal)
  } finally {
    signal.removeEventListener('abort', onAbort)
    await release()
  }
}

async function safeFingerprint(options: ChangeWatchOptions): Promise<string | undefined> {
  try {
    return await options.fingerprint()
  } catch (err) {
    log.warn('cannot read the config to check for changes', { err })
    return undefined
  }
}
