/**
 * What a benchmark result must carry to be compared later: the machine (CPU, cores, memory,
 * OS, load averages), the tool versions and the commit it measured.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'

const REPO = new URL('../../../', import.meta.url)

/** stdout + stderr of a command run in the repo (nginx -v prints on stderr); undefined on failure. */
function tryRun(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { cwd: REPO, encoding: 'utf8' })
  if (result.error !== undefined || result.status !== 0) return undefined
  return `${result.stdout}${result.stderr}`.trim()
}

function osName(): string | undefined {
  try {
    return /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
  } catch {
    return undefined
  }
}

/** The 1, 5 and 15 minute load averages, rounded to 2 decimals. */
export function loadAverages(): number[] {
  return loadavg().map((l) => Math.round(l * 100) / 100)
}

/** Machine, tools and checkout of this run. */
export function machineInfo(): Record<string, unknown> {
  const wrk = spawnSync('wrk', ['--version'], { encoding: 'utf8' })
  return {
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1e8) / 10,
    os: osName(),
    kernel: release(),
    node: process.version,
    nginx: tryRun('nginx', ['-v'])?.replace('nginx version: ', ''),
    wrk: `${wrk.stdout ?? ''}`.split(' [')[0]?.trim(),
    commit: tryRun('git', ['rev-parse', '--short', 'HEAD']),
    dirty: (tryRun('git', ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
  }
}
