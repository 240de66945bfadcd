/**
 * Counts the hostile conditions each catalogue group tried, and which rows were skipped with a
 * reason, for the summary printed at the end of the suite.
 */

const tried = new Map<string, number>()
const rows = new Map<string, Set<string>>()
const skipped: string[] = []

/** Records that row `id` (e.g. `A13`) tried `conditions` distinct payloads. */
export function tally(id: string, conditions = 1): void {
  const group = id.charAt(0)
  tried.set(group, (tried.get(group) ?? 0) + conditions)
  const set = rows.get(group) ?? new Set<string>()
  set.add(id)
  rows.set(group, set)
}

/** Records a row that does not apply (yet), with the reason printed in the summary. */
export function skipRow(id: string, reason: string): string {
  skipped.push(`${id}: ${reason}`)
  return reason
}

/** The summary text: conditions and rows per group, then the skipped rows. */
export function summary(): string {
  const lines = ['hostile suite summary (conditions tried per group):']
  for (const group of [...'ABCDEFGHIJKLM']) {
    const n = tried.get(group) ?? 0
    const ids = [...(rows.get(group) ?? [])].sort((a, b) =>
      a.localeCompare(b, 'en', { numeric: true }),
    )
    lines.push(
      `  ${group}: ${String(n).padStart(4)} conditions, ${ids.length} rows ${ids.join(' ')}`,
    )
  }
  if (skipped.length > 0) {
    lines.push('skipped rows:')
    for (const s of skipped) lines.push(`  ${s}`)
  }
  return lines.join('\n')
}
