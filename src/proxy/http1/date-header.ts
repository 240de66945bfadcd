/** The `Date` header value (RFC 9110 §6.6.1), made once per second rather than per response. */
let cached = ''
let cachedSecond = -1

/** The current time in IMF-fixdate form. */
export function httpDate(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cached = new Date(now).toUTCString()
  }
  return cached
}
