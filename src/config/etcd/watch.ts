/**
 * Follows etcd's streaming `/v3/watch` on a prefix (newline-delimited JSON) and turns it into
 * "something changed" ticks; after an error or a compaction it reconnects with back-off and
 * ticks once, so the consumer re-reads everything.
 */
import { logger } from '../../core/logger.ts'
import type { EtcdClient } from './client.ts'

const log = logger.child({ component: 'etcd-watch' })
const MIN_BACKOFF_MS = 500
const MAX_BACKOFF_MS = 5_000

interface WatchLine {
  result?: {
    header?: { revision?: string }
    created?: boolean
    canceled?: boolean
    compact_revision?: string
    events?: Array<{ kv?: { key?: string } }>
  }
  error?: { message?: string }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

/** Splits a byte stream into parsed JSON lines. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<WatchLine> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true })
    let nl = buffer.indexOf('\n')
    while (nl >= 0) {
      const line = buffer.slice(0, nl).trim()
      buffer = buffer.slice(nl + 1)
      if (line !== '') yield JSON.parse(line) as WatchLine
      nl = buffer.indexOf('\n')
    }
  }
}

/** What one watch line means; throws on an error or a cancelled watch. */
function classify(
  line: WatchLine,
  ignored: (key: string) => boolean,
): 'created' | 'events' | 'compacted' | 'other' {
  const result = line.result
  if (line.error !== undefined) throw new Error(line.error.message ?? 'etcd watch error')
  if (result === undefined) return 'other'
  if (result.compact_revision !== undefined && result.compact_revision !== '0') return 'compacted'
  if (result.created === true) return 'created'
  if (result.canceled === true) throw new Error('etcd watch canceled')
  const keys = (result.events ?? []).map((e) =>
    Buffer.from(e.kv?.key ?? '', 'base64').toString('utf8'),
  )
  return keys.some((k) => !ignored(k)) ? 'events' : 'other'
}

/**
 * Yields after each batch of events under `prefix` newer than `revision()` (batches whose keys
 * are all `ignored` do not count), and once after each reconnection; never throws; ends when
 * `signal` aborts.
 */
export async function* watchPrefix(
  client: EtcdClient,
  prefix: string,
  revision: () => number,
  signal: AbortSignal,
  ignored: (key: string) => boolean = () => false,
): AsyncGenerator<void> {
  let backoff = MIN_BACKOFF_MS
  let next = revision() + 1
  let reconnecting = false
  while (!signal.aborted) {
    try {
      if (next <= 1 || reconnecting) {
        // A wiped or restored etcd restarts its revisions lower: never wait for a future one.
        const head = (await client.range(prefix)).revision
        if (next <= 1 || head + 1 < next) next = head + 1
      }
      const res = await client.openWatch(prefix, next, signal)
      if (res.body === null) throw new Error('etcd watch: empty body')
      for await (const line of lines(res.body)) {
        const kind = classify(line, ignored)
        if (kind === 'compacted') {
          // History is gone: resume from now and let the consumer re-read everything.
          next = 0
          throw new Error('etcd watch compacted')
        }
        if (kind === 'created') {
          backoff = MIN_BACKOFF_MS
          if (reconnecting) {
            reconnecting = false
            yield
          }
        } else {
          if (line.result?.header?.revision !== undefined) {
            next = Math.max(next, Number(line.result.header.revision) + 1)
          }
          if (kind === 'events') yield
        }
      }
      if (!signal.aborted) throw new Error('etcd watch stream ended')
    } catch (err) {
      if (signal.aborted) return
      log.warn('etcd watch failed; retrying', {
        error: err instanceof Error ? err.message : String(err),
        retry_ms: backoff,
      })
      reconnecting = true
      await sleep(backoff, signal)
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)
    }
  }
}
