/**
 * Human-readable sizes and durations for the access log (`{size_human}`, `{latency_human}`,
 * `{:…_time_human}`): decimal units, one decimal place, a trailing `.0` dropped (spec §6.2).
 */

const KB = 1000
const MB = 1000 * KB
const GB = 1000 * MB

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** One decimal place without a trailing `.0` (`1.1`, `1`, `12.5`). */
function oneDecimal(value: number): string {
  const text = value.toFixed(1)
  return text.endsWith('.0') ? text.slice(0, -2) : text
}

/** A byte count in decimal units: `512B`, `1KB`, `1.1KB`, `1.2MB`, `3GB`. */
export function humanBytes(n: number): string {
  if (n < KB) return `${Math.trunc(n)}B`
  if (n < MB) return `${oneDecimal(n / KB)}KB`
  if (n < GB) return `${oneDecimal(n / MB)}MB`
  return `${oneDecimal(n / GB)}GB`
}

/** A duration in milliseconds: `512ms`, `1.1s`, `1.8m`, `1.5h`. */
export function humanLatency(ms: number): string {
  if (ms < SECOND) return `${Math.trunc(ms)}ms`
  if (ms < MINUTE) return `${oneDecimal(ms / SECOND)}s`
  if (ms < HOUR) return `${oneDecimal(ms / MINUTE)}m`
  return `${oneDecimal(ms / HOUR)}h`
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0')
}

function offsetText(date: Date): string {
  const minutes = -date.getTimezoneOffset()
  const sign = minutes < 0 ? '-' : '+'
  const abs = Math.abs(minutes)
  return `${sign}${pad(Math.trunc(abs / 60))}:${pad(abs % 60)}`
}

// Access-log lines come in bursts within one second: format the second once, add the millis.
let cachedSecond = Number.NaN
let cachedPrefix = ''
let cachedOffset = ''

/** Local time as RFC 3339 with milliseconds and offset: `2025-01-02T03:04:05.678+08:00`. */
export function localTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== cachedSecond) {
    const d = new Date(second * 1000)
    cachedPrefix = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    cachedOffset = offsetText(d)
    cachedSecond = second
  }
  return `${cachedPrefix}.${pad(Math.trunc(ms - second * 1000), 3)}${cachedOffset}`
}
