/**
 * Lower-case forms of the header field names seen so far. Peers send the same few dozen names
 * in every message; reusing one string per name saves an allocation per field and gives every
 * header object the same keys, which keeps property access on V8's fast path. Bounded, so a
 * peer inventing names cannot grow it.
 */
const LOWER = new Map<string, string>()
const LOWER_LIMIT = 512

/** `name` in lower case, from the cache when it was seen before. */
export function lowerHeaderName(name: string): string {
  const known = LOWER.get(name)
  if (known !== undefined) return known
  const lower = name.toLowerCase()
  if (LOWER.size < LOWER_LIMIT) LOWER.set(name, lower)
  return lower
}

/**
 * The prototype of parsed header objects: empty, so a field named `constructor` or `__proto__`
 * is an ordinary field, not something inherited from Object.prototype.
 */
const BARE: object = Object.create(null) as object

/** An empty header object for a parser to fill (see BARE). */
export function newHeaderObject(): Record<string, string | string[]> {
  return Object.create(BARE) as Record<string, string | string[]>
}
