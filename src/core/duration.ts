/**
 * Pingap's humantime durations ("10s", "1m30s", "500ms", "2d") and byte sizes ("1mb", "4KiB"),
 * parsed at the config boundary only. Returns undefined for text that is not one.
 */

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  nsec: 1e-6,
  us: 1e-3,
  usec: 1e-3,
  µs: 1e-3,
  ms: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
}

const DURATION_PART = /(\d+(?:\.\d+)?)\s*([a-zµ]+)/gy

/** Parses "1h30m", "500ms", "10s"; a bare number means seconds. Undefined when malformed. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined
  const s = text.trim().toLowerCase()
  if (s === '') return undefined
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  let total = 0
  let pos = 0
  DURATION_PART.lastIndex = 0
  while (pos < s.length) {
    if (s[pos] === ' ') {
      pos++
      continue
    }
    DURATION_PART.lastIndex = pos
    const m = DURATION_PART.exec(s)
    if (m === null) return undefined
    const unit = DURATION_UNITS[m[2] ?? '']
    if (unit === undefined) return undefined
    total += Number(m[1]) * unit
    pos = DURATION_PART.lastIndex
  }
  return total
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  kib: 1024,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
}

/**
 * Parses a byte size the way Pingap's `bytesize` crate does: "kb"/"mb" are decimal (1000),
 * "KiB"/"MiB" binary (1024); a bare number is bytes. Undefined when malformed.
 */
export function parseByteSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text : undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  if (m === null) return undefined
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()]
  if (unit === undefined) return undefined
  return Math.round(Number(m[1]) * unit)
}
