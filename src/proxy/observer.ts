/**
 * Watches every request to its end: fixes the final status (499 when the client left first)
 * and writes the server's access-log line. Access-log formats are compiled once per distinct
 * `access_log` value and writers are shared by path, so reloads keep them open.
 */
import type { ServerResponse } from 'node:http'
import { logger } from '../core/logger.ts'
import { compileAccessLog, type AccessLog as CompiledAccessLog } from './access-log.ts'
import { createAccessLogWriter, type AccessLogWriter } from './access-log-writer.ts'
import type { RoutedRequest } from './handler.ts'

const log = logger.child({ module: 'access-log' })

/** Called by the handler for each routed request. */
export interface RequestObserver {
  observe(routed: RoutedRequest, res: ServerResponse): void
  close(): Promise<void>
}

interface AccessLog {
  readonly compiled: CompiledAccessLog
  readonly writer: AccessLogWriter
}

/** The observer for this process. */
export function createRequestObserver(): RequestObserver {
  const formats = new Map<string, AccessLog | null>()
  const writers = new Map<string, AccessLogWriter>()

  const accessLogFor = (spec: string | undefined): AccessLog | null => {
    if (spec === undefined || spec === '') return null
    let entry = formats.get(spec)
    if (entry === undefined) {
      try {
        const compiled = compileAccessLog(spec)
        const key = compiled.path ?? '-'
        let writer = writers.get(key)
        if (writer === undefined) {
          writer = createAccessLogWriter({ path: compiled.path, rolling: compiled.rolling })
          writers.set(key, writer)
        }
        entry = { compiled, writer }
      } catch (err) {
        log.error('access log disabled', { spec, err })
        entry = null
      }
      formats.set(spec, entry)
    }
    return entry
  }

  return {
    observe({ server, ctx }, res) {
      const access = accessLogFor(server.accessLog)
      res.once('close', () => {
        if (!res.writableFinished) ctx.status = 499
        else if (ctx.status === 0) ctx.status = res.statusCode
        if (access !== null) {
          access.writer.write(
            access.compiled.format(ctx, {
              status: ctx.status,
              bytes: ctx.responseSize,
              headers: (name: string) => {
                const v = ctx.sentHeaders?.[name.toLowerCase()] ?? res.getHeader(name)
                return v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v)
              },
            }),
          )
        }
      })
    },
    async close() {
      await Promise.allSettled([...writers.values()].map((w) => w.close()))
    },
  }
}
