/**
 * CPU time a process has used, from /proc/<pid>/stat (utime + stime, in clock ticks of 10 ms).
 * CPU per request is steadier than req/s on a busy machine: other work slows a proxy down but
 * barely changes what each of its requests costs.
 */
import { readFileSync } from 'node:fs'

/** Linux USER_HZ: /proc reports CPU time in hundredths of a second. */
const MICROS_PER_TICK = 10_000

function ownTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name may contain spaces and parentheses; the fields follow the last `)`.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number)
  } catch {
    return []
  }
}

/**
 * CPU µs used so far by `pid`, plus its live children's (the workers of nginx's master or of
 * pingap-ts's primary) when `children` is true; 0 when there is no such process.
 */
export function cpuMicros(pid: number | undefined, children = false): number {
  if (pid === undefined) return 0
  let ticks = 0
  for (const p of children ? [pid, ...childPids(pid)] : [pid]) {
    try {
      ticks += ownTicks(p)
    } catch {
      // A child that exited between the listing and the read: its time is gone with it.
    }
  }
  return ticks * MICROS_PER_TICK
}
