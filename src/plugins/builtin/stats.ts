/** The `stats` plugin: process statistics as JSON on one path (spec §10.4, Node equivalents). */
import { arch, availableParallelism, freemem, hostname, totalmem } from 'node:os'
import { jsonResponse, type HttpResponse } from '../../core/http-response.ts'
import { processStats } from '../../core/process-stats.ts'
import { VERSION } from '../../core/version.ts'
import { PluginOptions } from '../conf.ts'
import type { PluginFactory } from '../types.ts'
import { REQUEST_OR_PROXY } from './shared.ts'

interface StatsConf {
  readonly path: string
}

const MB = 1024 * 1024
const START_TIME = Math.floor(Date.now() / 1000 - process.uptime())

/** Seconds as humantime prints them: "1d 2h 3m 4s" (zero parts left out). */
export function humanUptime(totalSeconds: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  let rest = Math.floor(totalSeconds)
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size)
    rest -= n * size
    if (n > 0) parts.push(`${n}${unit}`)
  }
  return parts.length === 0 ? '0s' : parts.join(' ')
}

/**
 * The stats body: Pingap's fields where Node has them, plus the process figures of
 * core/process-stats.ts (requests, connections, heap, event-loop utilisation, handles, fds).
 * Pingap's per-location counters and tcp counts are left out.
 */
export function collectStats(): Record<string, unknown> {
  const rss = process.memoryUsage.rss()
  const total = totalmem()
  return {
    ...processStats(),
    hostname: hostname(),
    version: VERSION,
    node_version: process.version,
    start_time: START_TIME,
    uptime: humanUptime(process.uptime()),
    memory_mb: Math.round(rss / MB),
    memory: `${(rss / MB).toFixed(1)} MiB`,
    total_memory: `${(total / MB).toFixed(1)} MiB`,
    used_memory: `${((total - freemem()) / MB).toFixed(1)} MiB`,
    arch: arch(),
    cpus: availableParallelism(),
    pid: process.pid,
  }
}

/** Answers process statistics as JSON on one path. */
export const stats: PluginFactory<StatsConf> = {
  category: 'stats',
  steps: REQUEST_OR_PROXY,
  defaultStep: 'request',

  parse(raw, path) {
    const options = new PluginOptions(raw, path, ['path'])
    const value = options.string('path')
    if (value !== '' && !value.startsWith('/'))
      throw options.error('path', 'must be a path starting with "/"')
    return { path: value }
  },

  create({ name, hash, step, conf }) {
    return {
      category: 'stats',
      name,
      hash,
      step,
      onRequest(ctx): HttpResponse | undefined {
        return conf.path !== '' && ctx.path === conf.path
          ? jsonResponse(200, collectStats())
          : undefined
      },
    }
  },
}
