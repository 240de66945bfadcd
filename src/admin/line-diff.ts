/**
 * A line diff (longest common subsequence) for the version diff view. Config items are short,
 * so the quadratic table is cheap; texts beyond MAX_LINES fall back to "all removed, all added".
 */

/** One line of a diff: kept (` `), removed (`-`) or added (`+`). */
export interface DiffLine {
  readonly op: ' ' | '-' | '+'
  readonly text: string
}

const MAX_LINES = 2000

function splitLines(text: string): string[] {
  if (text === '') return []
  return text.replace(/\n$/, '').split('\n')
}

/** The line diff of two texts. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = splitLines(before)
  const b = splitLines(after)
  if (a.length > MAX_LINES || b.length > MAX_LINES) {
    return [
      ...a.map((text) => ({ op: '-' as const, text })),
      ...b.map((text) => ({ op: '+' as const, text })),
    ]
  }
  // lcs[i][j] = length of the LCS of a[i..] and b[j..]
  const width = b.length + 1
  const lcs = new Uint16Array((a.length + 1) * width)
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0)
    }
  }
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i++] as string })
      j++
    } else if ((lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0)) {
      out.push({ op: '-', text: a[i++] as string })
    } else {
      out.push({ op: '+', text: b[j++] as string })
    }
  }
  while (i < a.length) out.push({ op: '-', text: a[i++] as string })
  while (j < b.length) out.push({ op: '+', text: b[j++] as string })
  return out
}

/** A unified-diff-like text (`--- a`, `+++ b`, every line prefixed). */
export function unifiedText(lines: readonly DiffLine[], from: string, to: string): string {
  if (lines.every((l) => l.op === ' ')) return ''
  return [`--- ${from}`, `+++ ${to}`, ...lines.map((l) => `${l.op}${l.text}`)].join('\n') + '\n'
}
