/** `GET /config/status`: versions, the last rejection, the process and the data plane. */
import { hostname } from 'node:os'
import { versionMeta } from '../../control/versions.ts'
import { traffic } from '../../core/process-stats.ts'
import { VERSION } from '../../core/version.ts'
import type { Handler } from '../context.ts'
import { globalEtag } from '../etag.ts'
import { json } from '../http.ts'

const STARTED_AT = new Date(Date.now() - process.uptime() * 1000).toISOString()

/**
 * Where things stand (control-plane.md §3.11: in file mode one node, this process; in etcd mode
 * every node whose leased status key is alive).
 */
export const getStatus: Handler = async (_req, ctx) => {
  const cluster = await ctx.nodes?.()
  const current = ctx.editor.current()
  const runtime = ctx.status()
  const rejection = ctx.lastRejection()
  const now = new Date().toISOString()
  return json(200, {
    current: { ...versionMeta(current), etag: globalEtag(current) },
    lastRejected: rejection === undefined ? null : { at: rejection.at, errors: rejection.errors },
    process: {
      version: VERSION,
      pid: process.pid,
      hostname: hostname(),
      node: process.version,
      startedAt: STARTED_AT,
      uptimeSeconds: Math.floor(process.uptime()),
      rssBytes: process.memoryUsage().rss,
    },
    traffic: { ...traffic },
    upstreams: runtime.upstreams,
    listeners: runtime.listeners,
    certificates: runtime.certificates,
    nodes: cluster ?? [
      {
        nodeId: `${hostname()}:${process.pid}`,
        hostname: hostname(),
        pid: process.pid,
        startedAt: STARTED_AT,
        lastSeen: now,
        appliedVersion: runtime.appliedVersion,
        appliedHash: current.hash,
        source: 'file',
        ...(rejection !== undefined ? { lastRejected: rejection } : {}),
      },
    ],
  })
}
