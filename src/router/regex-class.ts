/**
 * Pieces of the Rust → JS regex translation (regex-translate.ts) that do not need the
 * translator's group state: character classes (with POSIX names and ASCII case folding), hex
 * escapes and the error type.
 */

/** A pattern that cannot be translated; `message` says why, for the config error. */
export class RegexTranslateError extends Error {
  override name = 'RegexTranslateError'
}

/** POSIX class → pairs of characters, each pair an inclusive range (`09AZ` = 0-9 and A-Z). */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '09AZaz',
  alpha: 'AZaz',
  ascii: '\x00\x7f',
  blank: '\t\t  ',
  cntrl: '\x00\x1f\x7f\x7f',
  digit: '09',
  graph: '!~',
  lower: 'az',
  print: ' ~',
  punct: '!/:@[`{~',
  space: '\t\r  ',
  upper: 'AZ',
  word: '09AZaz__',
  xdigit: '09AFaf',
}

const CONTROL_ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, r: 13, f: 12, v: 11 }

/** `\uXXXX` for a code unit (safe both inside and outside a class). */
export function unitEscape(cp: number): string {
  return '\\u' + cp.toString(16).padStart(4, '0')
}

export function isAsciiLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

/** The other-case ASCII letters of [lo, hi], as class text ('' when none). */
export function foldRange(lo: number, hi: number): string {
  let text = ''
  for (const [from, to, delta] of [
    [0x61, 0x7a, -32],
    [0x41, 0x5a, 32],
  ] as const) {
    const a = Math.max(lo, from)
    const b = Math.min(hi, to)
    if (a > b) continue
    text += String.fromCharCode(a + delta)
    if (b > a) text += '-' + String.fromCharCode(b + delta)
  }
  return text
}

/**
 * Reads `\x{…}`, `\xHH`, `\uHHHH`, `\u{…}` or `\UHHHHHHHH` starting at `i` (the backslash);
 * undefined when the digits are absent (JS then reads the letter literally, as before).
 */
export function readHexEscape(src: string, i: number): { cp: number; length: number } | undefined {
  const kind = src[i + 1]
  let digits: string
  let length: number
  if (src[i + 2] === '{') {
    const end = src.indexOf('}', i + 3)
    if (end < 0) throw new RegexTranslateError(`unclosed \\${kind}{…} escape`)
    digits = src.slice(i + 3, end)
    length = end + 1 - i
  } else {
    const width = kind === 'x' ? 2 : kind === 'u' ? 4 : 8
    digits = src.slice(i + 2, i + 2 + width)
    length = 2 + width
    if (digits.length !== width) return undefined
  }
  if (!/^[0-9a-fA-F]{1,8}$/.test(digits)) return undefined
  const cp = parseInt(digits, 16)
  if (cp > 0xffff) {
    throw new RegexTranslateError(`\\${kind}${digits}: characters above U+FFFF are not supported`)
  }
  return { cp, length }
}

interface ClassAtom {
  readonly text: string
  /** The code point when the atom is one character (so it can fold or end a range). */
  readonly cp: number | undefined
  readonly end: number
}

function classAtom(src: string, i: number, first: boolean): ClassAtom {
  const c = src[i]!
  if (c === ']' && first) return { text: '\\]', cp: 0x5d, end: i + 1 } // Rust: a leading ] is literal
  if (c !== '\\') return { text: c, cp: c.charCodeAt(0), end: i + 1 }
  const next = src[i + 1]
  if (next === undefined) throw new RegexTranslateError('the pattern ends with a lone backslash')
  if (next === 'p' || next === 'P') {
    throw new RegexTranslateError('Unicode classes (\\p{…}) are not supported')
  }
  if (next === 'x' || next === 'u' || next === 'U') {
    const hex = readHexEscape(src, i)
    if (hex !== undefined) return { text: unitEscape(hex.cp), cp: hex.cp, end: i + hex.length }
  }
  const text = '\\' + next
  const control = CONTROL_ESCAPES[next]
  if (control !== undefined) return { text, cp: control, end: i + 2 }
  if (/[A-Za-z0-9]/.test(next)) return { text, cp: undefined, end: i + 2 } // \d, \w, \s …
  return { text, cp: next.charCodeAt(0), end: i + 2 }
}

function posixClass(src: string, i: number, fold: boolean): ClassAtom & { fold: string } {
  const end = src.indexOf(':]', i + 2)
  const ranges = end < 0 ? undefined : POSIX_CLASSES[src.slice(i + 2, end)]
  if (ranges === undefined) {
    throw new RegexTranslateError(
      end < 0
        ? 'nested character classes are not supported; escape "[" as "\\["'
        : `unknown POSIX class [:${src.slice(i + 2, end)}:]`,
    )
  }
  let text = ''
  let folded = ''
  for (let k = 0; k < ranges.length; k += 2) {
    const lo = ranges.charCodeAt(k)
    const hi = ranges.charCodeAt(k + 1)
    text += lo === hi ? unitEscape(lo) : `${unitEscape(lo)}-${unitEscape(hi)}`
    if (fold) folded += foldRange(lo, hi)
  }
  return { text, cp: undefined, end: end + 2, fold: folded }
}

/**
 * Translates the class starting at `start` (its `[`); returns the JS class and the index after
 * its `]`. With `fold`, the other case of every ASCII letter is added.
 */
export function translateClass(
  src: string,
  start: number,
  fold: boolean,
): { text: string; end: number } {
  let i = start + 1
  let text = '['
  if (src[i] === '^') {
    text += '^'
    i += 1
  }
  let folded = ''
  for (let first = true; ; first = false) {
    const c = src[i]
    if (c === undefined) throw new RegexTranslateError('a character class is not closed')
    if (c === ']' && !first) return { text: text + folded + ']', end: i + 1 }
    const pair = src.slice(i, i + 2)
    if (pair === '&&' || pair === '--' || pair === '~~') {
      throw new RegexTranslateError(`class set operations ("${pair}") are not supported`)
    }
    if (c === '[') {
      if (src[i + 1] !== ':') {
        throw new RegexTranslateError(
          'nested character classes are not supported; escape "[" as "\\["',
        )
      }
      const posix = posixClass(src, i, fold)
      text += posix.text
      folded += posix.fold
      i = posix.end
      continue
    }
    const lo = classAtom(src, i, first)
    text += lo.text
    i = lo.end
    let hiCp = lo.cp
    if (src[i] === '-' && i + 1 < src.length && src[i + 1] !== ']') {
      const hi = classAtom(src, i + 1, false)
      text += '-' + hi.text
      i = hi.end
      hiCp = hi.cp
    }
    if (fold && lo.cp !== undefined && hiCp !== undefined) folded += foldRange(lo.cp, hiCp)
  }
}
