/**
 * pingap-ts for the benchmark: a config directory (one file per category, Pingap's
 * MultiByType layout) with the 10 locations of locations.ts in front of the origin, then
 * `bin/pingap-ts -c <dir>`. Options add what the scenarios compare: metrics, tracing, plugins
 * and worker processes.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_LOCATIONS } from './locations.ts'
import { startProcess, type Tracked } from './processes.ts'

/** bin/pingap-ts of this checkout (the bench runs from .build/bench/), or BENCH_PINGAP_BIN. */
export const PINGAP_BIN =
  process.env['BENCH_PINGAP_BIN'] ??
  fileURLToPath(new URL('../../../bin/pingap-ts', import.meta.url))

/** The plugin tables a scenario can put on every location, by name. */
const PLUGINS = {
  requestId: 'category = "request_id"',
  headers: 'category = "response_headers"\nset_headers = ["X-Served-By: bench"]',
  localOnly: 'category = "ip_restriction"\ntype = "allow"\nip_list = ["127.0.0.1"]',
  // High enough never to refuse a request: the bench measures the counting, not the 429.
  rate: 'category = "limit"\ntype = "rate"\ntag = "ip"\nmax = 1000000000\ninterval = "1s"',
} as const

/** A plugin of PLUGINS. */
export type BenchPlugin = keyof typeof PLUGINS

/** The four plugins of the plugin scenario (issue 3), in chain order. */
export const ALL_BENCH_PLUGINS: readonly BenchPlugin[] = [
  'localOnly',
  'rate',
  'requestId',
  'headers',
]

/** What a pingap-ts config adds to the 10 locations (defaults: nothing, 1 process). */
export interface PingapOptions {
  /** Sub-directory of `dir`, so targets of one run keep their own config. */
  readonly name?: string
  readonly threads?: number
  /** `prometheus_metrics = "/metrics"` on the server. */
  readonly metrics?: boolean
  /** `otlp_exporter` of the server (an OTLP/HTTP URL). */
  readonly otlp?: string
  /** Plugins put on every location, in this order. */
  readonly plugins?: readonly BenchPlugin[]
}

/** Path of the Prometheus scrape endpoint when `metrics` is on. */
export const METRICS_PATH = '/metrics'

function locationsToml(plugins: readonly BenchPlugin[]): string {
  const list = plugins.length === 0 ? '' : `plugins = ${JSON.stringify(plugins)}\n`
  return BENCH_LOCATIONS.map(
    (l) =>
      `[locations.${l.name}]\nupstream = "origin"\npath = ${JSON.stringify(l.path)}\n` +
      (l.host === undefined ? '' : `host = "${l.host}"\n`) +
      list,
  ).join('\n')
}

/**
 * Writes the config directory and returns it; `accessLog` is the `access_log` value (undefined
 * = off). servers.toml holds only the server table, last, so callers may append keys to it.
 */
export async function writePingapConf(
  dir: string,
  port: number,
  originPort: number,
  accessLog: string | undefined,
  options: PingapOptions = {},
): Promise<string> {
  const conf = join(dir, options.name === undefined ? 'pingap-conf' : `pingap-${options.name}`)
  await mkdir(conf, { recursive: true })
  const plugins = options.plugins ?? []
  await writeFile(
    join(conf, 'basic.toml'),
    `[basic]\nname = "bench"\nthreads = ${options.threads ?? 1}\n`,
  )
  await writeFile(
    join(conf, 'upstreams.toml'),
    `[upstreams.origin]\naddrs = ["127.0.0.1:${originPort}"]\n`,
  )
  await writeFile(join(conf, 'locations.toml'), locationsToml(plugins))
  const pluginTables = plugins.map((p) => `[plugins.${p}]\n${PLUGINS[p]}\n`)
  await writeFile(join(conf, 'plugins.toml'), pluginTables.join('\n'))
  const server = [
    '[servers.bench]',
    `addr = "127.0.0.1:${port}"`,
    `locations = ${JSON.stringify(BENCH_LOCATIONS.map((l) => l.name))}`,
    accessLog === undefined ? '' : `access_log = ${JSON.stringify(accessLog)}`,
    options.metrics === true ? `prometheus_metrics = "${METRICS_PATH}"` : '',
    options.otlp === undefined ? '' : `otlp_exporter = ${JSON.stringify(options.otlp)}`,
  ]
  await writeFile(join(conf, 'servers.toml'), `${server.filter((l) => l !== '').join('\n')}\n`)
  return conf
}

/** Starts `node bin/pingap-ts -c <conf>`. */
export function startPingap(conf: string, cpus?: string): Tracked {
  return startProcess('pingap-ts', process.execPath, [PINGAP_BIN, '-c', conf], cpus)
}
