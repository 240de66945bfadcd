/**
 * ASCII case-folding of a pattern, because V8's linear-time engine refuses the `i` flag:
 * outside classes a letter `a` becomes `[aA]`; inside a class each letter or letter range gains
 * its other case (`[a-f]` → `[a-fA-F]`). Escapes and group names are copied as they are.
 */

function isLetter(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z]$/.test(c)
}

function other(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()
}

/** Length of the escape starting at `i` (a backslash), including `\u{…}` / `\p{…}` forms. */
function escapeLength(src: string, i: number): number {
  const next = src[i + 1]
  if ((next === 'u' || next === 'p' || next === 'P') && src[i + 2] === '{') {
    const close = src.indexOf('}', i + 3)
    return close < 0 ? 2 : close - i + 1
  }
  if (next === 'x') return 4
  if (next === 'u') return 6
  if (next === 'k' && src[i + 2] === '<') {
    const close = src.indexOf('>', i + 3)
    return close < 0 ? 2 : close - i + 1
  }
  return 2
}

/** Folds the body of a character class (between `[` and `]`, negation excluded). */
function foldClass(body: string): string {
  let extra = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!
    if (c === '\\') {
      i += escapeLength(body, i) - 1
      continue
    }
    const hi = body[i + 2]
    if (body[i + 1] === '-' && hi !== undefined && isLetter(c) && isLetter(hi)) {
      extra += `${other(c)}-${other(hi)}`
      i += 2
    } else if (isLetter(c)) {
      extra += other(c)
    }
  }
  return body + extra
}

/** The pattern, matching ASCII letters in either case. */
export function foldCase(src: string): string {
  let out = ''
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!
    if (c === '\\') {
      const n = escapeLength(src, i)
      out += src.slice(i, i + n)
      i += n - 1
    } else if (
      c === '(' &&
      src[i + 1] === '?' &&
      src[i + 2] === '<' &&
      /[A-Za-z_]/.test(src[i + 3] ?? '')
    ) {
      const close = src.indexOf('>', i)
      out += src.slice(i, close + 1)
      i = close
    } else if (c === '[') {
      let j = i + 1
      const negated = src[j] === '^'
      if (negated) j++
      if (src[j] === ']') j++ // a leading `]` is a literal
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? escapeLength(src, j) : 1
      const body = src.slice(i + 1 + (negated ? 1 : 0), j)
      out += `[${negated ? '^' : ''}${foldClass(body)}]`
      i = j
    } else if (isLetter(c)) {
      out += `[${c}${other(c)}]`
    } else {
      out += c
    }
  }
  return out
}
