/**
 * Watches every request to its end: fixes the final status (499 when the client left first),
 * records its metrics and trace spans (when its server exports them) and writes the server's
 * access-log line. Access-log formats are compiled once per distinct
 * `access_log` value and writers are shared by path, so reloads keep them open.
 */
import type { ServerResponse } from 'node:http'
import type { ServerConf } from '../config/types.ts'
import { logger } from '../core/logger.ts'
import type { Metrics } from '../metrics/metrics.ts'
import type { UpstreamRecorder } from '../metrics/recorders.ts'
import type { Tracing } from '../tracing/otel.ts'
import { compileAccessLog, type AccessLog as CompiledAccessLog } from './access-log.ts'
import { createAccessLogWriter, type AccessLogWriter } from './access-log-writer.ts'
import { upstreamNameOf, type RoutedRequest } from './handler.ts'
import { onResponseClose } from './response-close.ts'

const log = logger.child({ module: 'access-log' })

/** Called by the handler for each routed request. */
export interface RequestObserver {
  observe(routed: RoutedRequest, res: ServerResponse): void
  close(): Promise<void>
  /** The process's metrics (the handler answers `prometheus_metrics` scrapes from them). */
  readonly metrics?: Metrics | undefined
}

/** What the observer records into besides the access log. */
export interface ObserverDeps {
  readonly metrics?: Metrics | undefined
  readonly tracing?: Tracing | undefined
}

interface AccessLog {
  readonly compiled: CompiledAccessLog
  readonly writer: AccessLogWriter
}

function upstreamRecorder(
  metrics: Metrics,
  { server, ctx, location }: RoutedRequest,
): UpstreamRecorder | undefined {
  if (ctx.upstreamAddr === '' || location === undefined) return undefined
  return metrics.upstream(server.name, upstreamNameOf(ctx, location))
}

/** The observer for this process. */
export function createRequestObserver(deps: ObserverDeps = {}): RequestObserver {
  const { metrics, tracing } = deps
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
          writer = createAccessLogWriter({
            path: compiled.path,
            rolling: compiled.rolling,
            queueSize: compiled.queueSize,
          })
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
    metrics,
    observe(routed, res) {
      const { server, ctx } = routed
      const access = accessLogFor(server.accessLog)
      const recorder = metrics?.recorderFor(server.name, ctx.location)
      recorder?.started()
      const spans = tracing?.start(server.name, ctx)
      onResponseClose(res, () => {
        if (!res.writableFinished) ctx.status = 499
        else if (ctx.status === 0) ctx.status = res.statusCode
        if (recorder !== undefined && metrics !== undefined)
          recorder.finished(ctx, upstreamRecorder(metrics, routed))
        spans?.finish(ctx)
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

/** Rejects an `access_log` value that does not compile, naming the server's key. */
export function checkAccessLog(name: string, conf: ServerConf): void {
  if (conf.access_log !== undefined && conf.access_log !== '') {
    compileAccessLog(conf.access_log, `servers.${name}.access_log`)
  }
}
