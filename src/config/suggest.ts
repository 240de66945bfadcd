/** "Did you mean …?" suggestions for unknown keys and names, by edit distance. */

/** Optimal-string-alignment distance: insertions, deletions, substitutions and swaps cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[] = new Array<number>(rows * cols).fill(0)
  for (let i = 0; i < rows; i++) d[i * cols] = i
  for (let j = 0; j < cols; j++) d[j] = j
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1)
      }
      d[i * cols + j] = best
    }
  }
  return d[rows * cols - 1]!
}

/**
 * The candidate closest to `input` (case-insensitive), or undefined when none is close enough
 * to be a likely typo: at most a third of the longer word may differ (at least 1, at most 3 edits).
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase()
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  if (best === undefined) return undefined
  const limit = Math.min(3, Math.max(1, Math.floor(Math.max(input.length, best.length) / 3)))
  return bestDistance <= limit ? best : undefined
}

/** The text appended to an "unknown key" message: `, did you mean \`x\`?` or nothing. */
export function suggestionText(input: string, candidates: Iterable<string>): string {
  const match = closest(input, candidates)
  return match === undefined ? '' : `, did you mean \`${match}\`?`
}
