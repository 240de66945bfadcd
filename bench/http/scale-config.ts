/**
 * The generated configs of the scale benchmark (issue 4): 10,000 locations over 500 upstreams
 * across 50 hosts (or a 10-location config of the same style), written as a conf directory.
 * Used by bench/scale.ts (build, reload, memory) and the `scale` scenario of bench/run.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** Shape of a generated config. */
export interface ScaleShape {
  readonly locations: number
  readonly upstreams: number
  readonly hosts: number
}

export const BIG: ScaleShape = { locations: 10_000, upstreams: 500, hosts: 50 }
export const SMALL: ScaleShape = { locations: 10, upstreams: 5, hosts: 5 }

/** The host of location `i`. */
const hostOf = (shape: ScaleShape, i: number): string => `h${i % shape.hosts}.example.test`

/**
 * One location in the style a large site has: mostly prefixes, some exact paths, one in
 * twenty a regex, some with header rules; `i` decides which, so the config is reproducible.
 */
function locationToml(shape: ScaleShape, i: number, tag: string): string {
  const kind = i % 20
  const path = kind === 0 ? `~^/re${i}/(?<id>[0-9]+)$` : kind < 4 ? `=/exact/${i}` : `/svc${i}/api`
  const headers = kind === 5 ? `proxy_set_headers = ["X-Loc: ${i}${tag}"]\n` : ''
  return (
    `[locations.l${i}]\nhost = "${hostOf(shape, i)}"\npath = "${path}"\n` +
    `upstream = "u${i % shape.upstreams}"\n${headers}`
  )
}

/** The path a request must use to hit location `i` (a prefix location). */
export function pathOf(i: number): string {
  return `/svc${i}/api/x`
}

/** Writes a one-file-per-category conf dir; `tag` changes one location (for reloads). */
export async function writeScaleConf(
  dir: string,
  shape: ScaleShape,
  listen: string,
  origin: string,
  tag = '',
): Promise<void> {
  await mkdir(dir, { recursive: true })
  const upstreams = Array.from(
    { length: shape.upstreams },
    (_, i) => `[upstreams.u${i}]\naddrs = ["${origin}"]\n`,
  )
  const locations = Array.from({ length: shape.locations }, (_, i) =>
    locationToml(shape, i, i === 5 ? tag : ''),
  )
  const names = Array.from({ length: shape.locations }, (_, i) => `l${i}`)
  await writeFile(join(dir, 'basic.toml'), '[basic]\nname = "scale"\n')
  await writeFile(join(dir, 'upstreams.toml'), upstreams.join('\n'))
  await writeFile(join(dir, 'locations.toml'), locations.join('\n'))
  await writeFile(
    join(dir, 'servers.toml'),
    `[servers.scale]\naddr = "${listen}"\nlocations = ${JSON.stringify(names)}\n`,
  )
}

/** The location every request hits: a prefix location in the middle of the config. */
export function scaleTarget(shape: ScaleShape): { host: string; path: string } {
  const i = shape.locations >= 5007 ? 5007 : 7
  return { host: hostOf(shape, i), path: pathOf(i) }
}
