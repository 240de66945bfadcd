/**
 * Translates a pattern written for Rust's `regex` crate (what Pingap configs contain) into an
 * equivalent JavaScript pattern that V8's linear-time engine accepts. Node 20's linear engine
 * refuses the `i` flag and counted repetitions above 16, and the JS syntax silently reads some
 * Rust constructs as literals (`\A`, `[[:alpha:]]`), so each of those is rewritten or refused
 * here with a reason the user can act on:
 * - `(?P<name>…)` → `(?<name>…)`;
 * - `(?i)`, `(?i:…)`, `(?-i)`: case-insensitivity is spelled out (`a` → `[aA]`, ASCII letters);
 *   a leading `(?m)` / `(?s)` becomes the JS flag;
 * - `\A` / `\z` → `^` / `$`; `\x{…}` / `\u{…}` → `\uXXXX`; POSIX classes → ranges;
 * - `x{n,m}` with a bound above 16 is unrolled (`x` repeated, then nested optionals), which is
 *   equivalent when `x` holds no capture group;
 * - back-references, look-around, `\p{…}` and nested classes / class set operations are refused
 *   (Rust's crate has no back-references or look-around either).
 */
import {
  foldRange,
  isAsciiLetter,
  readHexEscape,
  RegexTranslateError,
  translateClass,
  unitEscape,
} from './regex-class.ts'

export { RegexTranslateError } from './regex-class.ts'

export interface TranslatedRegex {
  readonly source: string
  /** JS flags from leading inline flags: `m` and/or `s`. */
  readonly flags: string
}

/** V8's linear engine refuses counted repetitions above this bound. */
const MAX_LINEAR_COUNT = 16
/** Unrolling beyond this many characters is refused rather than building a huge pattern. */
const MAX_UNROLLED_LENGTH = 20_000

interface GroupFrame {
  readonly start: number
  readonly capturing: boolean
  hasCapture: boolean
  /** Case-folding state to restore when the group closes (set by inline `i` flags). */
  restoreFold: boolean | undefined
}

class Translator {
  readonly #src: string
  #i = 0
  #out = ''
  #fold: boolean
  #flags = ''
  readonly #groups: GroupFrame[] = []
  /** Output index where the last quantifiable atom starts (-1: none). */
  #atomStart = -1
  #atomCaptures = false

  constructor(src: string, fold: boolean) {
    this.#src = src
    this.#fold = fold
  }

  run(): TranslatedRegex {
    const src = this.#src
    while (this.#i < src.length) {
      const c = src[this.#i]!
      if (c === '\\') this.#escape()
      else if (c === '[') this.#charClass()
      else if (c === '(') this.#openGroup()
      else if (c === ')') this.#closeGroup()
      else if (c === '{') this.#counted()
      else if (c === '*' || c === '+' || c === '?') this.#quantifier(c)
      else if (c === '|' || c === '^' || c === '$') this.#anchor(c)
      else this.#literal(c)
    }
    if (this.#groups.length > 0) throw new RegexTranslateError('a group is not closed')
    return { source: this.#out, flags: this.#flags }
  }

  /** Appends text; `atom` marks it as something a quantifier may follow. */
  #emit(text: string, atom: boolean): void {
    this.#atomStart = atom ? this.#out.length : -1
    this.#atomCaptures = false
    this.#out += text
  }

  /** `|`, `^` and `$`: copied as is; nothing may repeat them. */
  #anchor(c: string): void {
    this.#i += 1
    this.#emit(c, false)
  }

  #literal(c: string): void {
    this.#emit(
      this.#fold && isAsciiLetter(c) ? `[${c}${foldRange(c.charCodeAt(0), c.charCodeAt(0))}]` : c,
      true,
    )
    this.#i += 1
  }

  #quantifier(c: string): void {
    if (this.#atomStart < 0) throw new RegexTranslateError(`"${c}" has nothing to repeat`)
    let text = c
    if (this.#src[this.#i + 1] === '?') text += '?'
    this.#i += text.length
    this.#emit(text, false)
  }

  #escape(): void {
    const next = this.#src[this.#i + 1]
    if (next === undefined) throw new RegexTranslateError('the pattern ends with a lone backslash')
    if (next === 'p' || next === 'P') {
      throw new RegexTranslateError('Unicode classes (\\p{…}) are not supported')
    }
    if ((next >= '1' && next <= '9') || next === 'k') {
      throw new RegexTranslateError(
        'back-references are not supported (Rust regex has none either)',
      )
    }
    if (next === 'A' || next === 'z') {
      if (this.#flags.includes('m'))
        throw new RegexTranslateError(`\\${next} cannot be combined with (?m)`)
      this.#i += 2
      this.#emit(next === 'A' ? '^' : '$', false)
      return
    }
    if (next === 'x' || next === 'u' || next === 'U') {
      const hex = readHexEscape(this.#src, this.#i)
      if (hex !== undefined) {
        this.#i += hex.length
        const letter = String.fromCharCode(hex.cp)
        if (this.#fold && isAsciiLetter(letter)) {
          this.#emit(`[${letter}${foldRange(hex.cp, hex.cp)}]`, true)
        } else {
          this.#emit(unitEscape(hex.cp), true)
        }
        return
      }
    }
    this.#i += 2
    this.#emit('\\' + next, next !== 'b' && next !== 'B')
  }

  #charClass(): void {
    const { text, end } = translateClass(this.#src, this.#i, this.#fold)
    this.#i = end
    this.#emit(text, true)
  }

  #openGroup(): void {
    const src = this.#src
    const rest = src.slice(this.#i, this.#i + 4)
    const flags = /^\(\?(-?[a-zA-Z]+(?:-[a-zA-Z]+)?)([:)])/.exec(src.slice(this.#i))
    if (flags !== null) return this.#inlineFlags(flags[1]!, flags[2] === ':', flags[0].length)
    if (rest.startsWith('(?=') || rest.startsWith('(?!') || rest === '(?<=' || rest === '(?<!') {
      throw new RegexTranslateError('look-around is not supported (Rust regex has none either)')
    }
    if (rest === '(?P=')
      throw new RegexTranslateError(
        'back-references are not supported (Rust regex has none either)',
      )
    let text = '('
    let capturing = true
    if (rest === '(?P<' || rest.startsWith('(?<')) {
      const nameStart = this.#i + (rest === '(?P<' ? 4 : 3)
      const end = src.indexOf('>', nameStart)
      if (end < 0) throw new RegexTranslateError('a group name is not closed with ">"')
      text = `(?<${src.slice(nameStart, end)}>`
      this.#i = end + 1
    } else if (rest.startsWith('(?:')) {
      text = '(?:'
      capturing = false
      this.#i += 3
    } else {
      this.#i += 1
    }
    this.#groups.push({
      start: this.#out.length,
      capturing,
      hasCapture: false,
      restoreFold: undefined,
    })
    this.#out += text
    this.#atomStart = -1
  }

  /** `(?flags)` changes the rest of the enclosing group; `(?flags:…)` opens a group. */
  #inlineFlags(spec: string, scoped: boolean, length: number): void {
    const atStart = this.#out === '' && this.#groups.length === 0
    let on = true
    let fold = this.#fold
    for (const f of spec) {
      if (f === '-') on = false
      else if (f === 'i') fold = on
      else if ((f === 'm' || f === 's') && on && atStart && !scoped) this.#flags += f
      else
        throw new RegexTranslateError(
          `inline flag "${f}" is not supported here (only i anywhere; m and s at the start)`,
        )
    }
    this.#i += length
    if (scoped) {
      this.#groups.push({
        start: this.#out.length,
        capturing: false,
        hasCapture: false,
        restoreFold: this.#fold,
      })
      this.#out += '(?:'
    } else {
      const frame = this.#groups[this.#groups.length - 1]
      if (frame !== undefined && frame.restoreFold === undefined) frame.restoreFold = this.#fold
    }
    this.#fold = fold
    this.#atomStart = -1
  }

  #closeGroup(): void {
    const frame = this.#groups.pop()
    if (frame === undefined) throw new RegexTranslateError('unbalanced ")"')
    this.#out += ')'
    this.#i += 1
    if (frame.restoreFold !== undefined) this.#fold = frame.restoreFold
    const captures = frame.capturing || frame.hasCapture
    const parent = this.#groups[this.#groups.length - 1]
    if (parent !== undefined && captures) parent.hasCapture = true
    this.#atomStart = frame.start
    this.#atomCaptures = captures
  }

  /** `{n}`, `{n,}`, `{n,m}`: kept when small, unrolled when above the linear engine's bound. */
  #counted(): void {
    const m = /^\{(\d+)(,(\d*))?\}(\??)/.exec(this.#src.slice(this.#i))
    if (m === null) {
      this.#i += 1
      this.#emit('\\{', true)
      return
    }
    if (this.#atomStart < 0) throw new RegexTranslateError(`"${m[0]}" has nothing to repeat`)
    const min = Number(m[1])
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])
    const lazy = m[4] === '?'
    if (min > max) throw new RegexTranslateError(`${m[0]}: the minimum is above the maximum`)
    this.#i += m[0].length
    if (min <= MAX_LINEAR_COUNT && (max <= MAX_LINEAR_COUNT || max === Infinity)) {
      this.#emit(m[0], false)
      return
    }
    if (this.#atomCaptures) {
      throw new RegexTranslateError(
        `${m[0]} repeats a capture group more than ${MAX_LINEAR_COUNT} times, which the linear-time engine cannot run; use + or * instead`,
      )
    }
    const atom = this.#out.slice(this.#atomStart)
    let tail = ''
    if (max === Infinity) tail = atom + (lazy ? '*?' : '*')
    else for (let k = min; k < max; k++) tail = `(?:${atom}${tail})${lazy ? '??' : '?'}`
    const unrolled = atom.repeat(min) + tail
    if (unrolled.length > MAX_UNROLLED_LENGTH) {
      throw new RegexTranslateError(
        `${m[0]} is too large a counted repetition for the linear-time engine`,
      )
    }
    this.#out = this.#out.slice(0, this.#atomStart) + unrolled
    this.#atomStart = -1
  }
}

/** Translates a Rust-syntax pattern; `caseInsensitive` starts as if it began with `(?i)`. */
export function translateRustRegex(pattern: string, caseInsensitive = false): TranslatedRegex {
  return new Translator(pattern, caseInsensitive).run()
}
