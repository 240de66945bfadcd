/**
 * Starts the bare Node proxies the main scenario compares pingap-ts with: an undici
 * `Pool.stream` pass-through and http-proxy-3 with a keep-alive agent, one process each.
 */
import { fileURLToPath } from 'node:url'
import { startProcess, type Tracked } from './processes.ts'

/** The bare proxies, by target name, and their script next to this file (compiled to .js). */
const SCRIPTS = {
  'bare-undici': './bare-undici.js',
  'bare-http-proxy-3': './bare-http-proxy-3.js',
} as const

/** A bare proxy of SCRIPTS. */
export type BareProxy = keyof typeof SCRIPTS

/** Starts `kind` on 127.0.0.1:`port` in front of the origin. */
export function startBare(
  kind: BareProxy,
  port: number,
  originPort: number,
  cpus?: string,
): Tracked {
  const script = fileURLToPath(new URL(SCRIPTS[kind], import.meta.url))
  return startProcess(
    kind,
    process.execPath,
    [script, String(port), `127.0.0.1:${originPort}`],
    cpus,
  )
}
