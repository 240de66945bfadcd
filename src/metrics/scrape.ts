/**
 * The pull endpoint (`prometheus_metrics = "/metrics"`): answers the scrape on the server's
 * own listener, before routing, whether or not a location matches (spec §10.1).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { logger } from '../core/logger.ts'
import type { Metrics } from './metrics.ts'

const log = logger.child({ module: 'metrics' })

/** True when `req` targets `server`'s pull path (query string ignored). */
export function isScrape(metrics: Metrics, server: string, req: IncomingMessage): boolean {
  const path = metrics.pullPath(server)
  if (path === undefined) return false
  const url = req.url ?? ''
  const q = url.indexOf('?')
  return (q < 0 ? url : url.slice(0, q)) === path
}

/** Renders the metrics and answers 200, or 500 when rendering fails. */
export async function answerScrape(
  metrics: Metrics,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  req.resume()
  let body: string
  try {
    body = await metrics.render()
  } catch (err) {
    log.error('rendering metrics failed', { err })
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    res.end('metrics unavailable\n')
    return
  }
  res.writeHead(200, {
    'content-type': metrics.contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}
