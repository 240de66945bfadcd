/**
 * Keys of Pingap's configuration that pingap-ts accepts (so a Pingap config loads unchanged)
 * but that cannot have an effect on Node.js, each with the one-line reason `-t` prints as a note
 * (issue 11, item 5). docs/configuration.md gives the same reasons.
 */
import type { PingapConfig } from './types.ts'

/** One accepted key without effect, and why. */
export interface IneffectiveKey {
  readonly category: 'basic' | 'servers' | 'upstreams'
  readonly key: string
  readonly reason: string
}

const SOCKET_OPTION = 'Node.js exposes no API to set this socket option'
const DAEMON = 'pingap-ts does not daemonise; run it under systemd or a container'

/** Every accepted key that has no effect, with its reason. */
export const INEFFECTIVE_KEYS: readonly IneffectiveKey[] = [
  { category: 'basic', key: 'error_log', reason: DAEMON },
  { category: 'basic', key: 'upgrade_sock', reason: 'restarts roll cluster workers instead' },
  { category: 'basic', key: 'user', reason: `${DAEMON}, which drops privileges` },
  { category: 'basic', key: 'group', reason: `${DAEMON}, which drops privileges` },
  { category: 'basic', key: 'work_stealing', reason: 'a Tokio scheduler option' },
  {
    category: 'basic',
    key: 'listener_tasks_per_fd',
    reason: 'one event loop accepts per listener',
  },
  { category: 'basic', key: 'log_buffered_size', reason: 'log lines are written synchronously' },
  { category: 'basic', key: 'sentry', reason: 'no Sentry client is bundled' },
  { category: 'basic', key: 'pyroscope', reason: 'no Pyroscope profiler is bundled' },
  {
    category: 'basic',
    key: 'auto_restart_check_interval',
    reason: '--autoreload applies changes live from file events',
  },
  ...['algorithm', 'level', 'days_ago', 'time_point_hour'].map((suffix) => ({
    category: 'basic' as const,
    key: `log_compress_${suffix}`,
    reason: 'rotated log files are not compressed; use logrotate',
  })),
  ...['tcp_idle', 'tcp_interval', 'tcp_probe_count', 'tcp_user_timeout', 'tcp_fastopen'].map(
    (key) => ({ category: 'servers' as const, key, reason: SOCKET_OPTION }),
  ),
  {
    category: 'servers',
    key: 'reuse_port',
    reason: 'node:cluster workers share the listening socket instead',
  },
  ...['tcp_interval', 'tcp_probe_count', 'tcp_user_timeout', 'tcp_recv_buf', 'tcp_fast_open'].map(
    (key) => ({ category: 'upstreams' as const, key, reason: SOCKET_OPTION }),
  ),
  {
    category: 'upstreams',
    key: 'enable_tracer',
    reason: 'pool connection counts are always kept (pingap_upstream_connections)',
  },
]

function isSet(table: object, key: string): boolean {
  return (table as Record<string, unknown>)[key] !== undefined
}

/** One note per key of `config` that is set but has no effect, e.g. for `-t`. */
export function ineffectiveNotes(config: PingapConfig): string[] {
  const notes: string[] = []
  for (const { category, key, reason } of INEFFECTIVE_KEYS) {
    const tables: Record<string, object> =
      category === 'basic' ? { basic: config.basic } : config[category]
    const prefix = category === 'basic' ? '' : `${category}.`
    const items = Object.entries(tables).map(([name, item]) => [`${prefix}${name}`, item] as const)
    for (const [path, table] of items) {
      if (isSet(table, key)) notes.push(`${path}.${key} has no effect on Node.js: ${reason}`)
    }
  }
  return notes
}
