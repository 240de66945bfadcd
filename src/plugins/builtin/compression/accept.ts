/**
 * `Accept-Encoding` (RFC 9110 §12.5.3): codings with their q-values, `q=0` meaning "not
 * acceptable" and `*` standing for every coding not listed. The choice follows the plugin's
 * priority (zstd, br, gzip), not the client's q order, as Pingap does.
 */

/** Encodings pingap-ts can produce, in priority order. */
export const ENCODINGS = ['zstd', 'br', 'gzip'] as const
export type Encoding = (typeof ENCODINGS)[number]

/** The q-value per coding (lower-cased); `*` is kept as a key. */
export function parseAcceptEncoding(header: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const part of header.split(',')) {
    const [token = '', ...params] = part.split(';').map((s) => s.trim())
    if (token === '') continue
    let q = 1
    for (const p of params) {
      if (p.length > 2 && p.slice(0, 2).toLowerCase() === 'q=') {
        const value = Number(p.slice(2))
        q = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0
      }
    }
    out.set(token.toLowerCase(), q)
  }
  return out
}

/** True when the client accepts `coding` (listed with q > 0, or covered by `*` with q > 0). */
export function accepts(accepted: ReadonlyMap<string, number>, coding: string): boolean {
  const q = accepted.get(coding) ?? accepted.get('*')
  return q !== undefined && q > 0
}

/** The first of `enabled` (priority order) that the client accepts. */
export function chooseEncoding(
  header: string | undefined,
  enabled: readonly Encoding[],
): Encoding | undefined {
  if (header === undefined || header === '' || enabled.length === 0) return undefined
  const accepted = parseAcceptEncoding(header)
  return enabled.find((e) => accepts(accepted, e))
}
