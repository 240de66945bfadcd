/**
 * pingap-ts for the benchmark: a config directory (one file per category, Pingap's
 * MultiByType layout) with 10 locations in front of the origin and the access log on, then
 * `bin/pingap-ts -c <dir>` as one process.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { LOCATION_PREFIXES } from './nginx.ts'
import { startProcess, type Tracked } from './processes.ts'

/** bin/pingap-ts of this checkout (the bench runs from .build/bench/), or BENCH_PINGAP_BIN. */
export const PINGAP_BIN =
  process.env['BENCH_PINGAP_BIN'] ??
  fileURLToPath(new URL('../../../bin/pingap-ts', import.meta.url))

function locationName(prefix: string): string {
  return prefix === '/' ? 'root' : prefix.slice(1)
}

/** Writes the config directory; `accessLog` is the `access_log` value (undefined = off). */
export async function writePingapConf(
  dir: string,
  port: number,
  originPort: number,
  accessLog: string | undefined,
): Promise<string> {
  const conf = join(dir, 'pingap-conf')
  await mkdir(conf, { recursive: true })
  const names = LOCATION_PREFIXES.map(locationName)
  const locations = LOCATION_PREFIXES.map(
    (prefix) => `[locations.${locationName(prefix)}]\nupstream = "origin"\npath = "${prefix}"\n`,
  )
  await writeFile(join(conf, 'basic.toml'), '[basic]\nname = "bench"\nthreads = 1\n')
  await writeFile(
    join(conf, 'upstreams.toml'),
    `[upstreams.origin]\naddrs = ["127.0.0.1:${originPort}"]\n`,
  )
  await writeFile(join(conf, 'locations.toml'), locations.join('\n'))
  const log = accessLog === undefined ? '' : `access_log = ${JSON.stringify(accessLog)}\n`
  await writeFile(
    join(conf, 'servers.toml'),
    `[servers.bench]\naddr = "127.0.0.1:${port}"\nlocations = ${JSON.stringify(names)}\n${log}`,
  )
  return conf
}

/** Starts `node bin/pingap-ts -c <conf>`. */
export function startPingap(conf: string, cpus?: string): Tracked {
  return startProcess('pingap-ts', process.execPath, [PINGAP_BIN, '-c', conf], cpus)
}
