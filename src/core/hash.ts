/** Stable, key-order-independent hashing of config values, used to reuse unchanged parts. */
import { hash } from 'node:crypto'

/** Serialises a value with object keys sorted, so equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Date) return v.toISOString()
    if (typeof v === 'bigint') return v.toString()
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {}
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k]
      return sorted
    }
    return v
  })
}

/** A short hex digest of `value`; equal for equal configs whatever their key order. */
export function hashConfig(value: unknown): string {
  // The one-shot hash avoids a Hash object per call: 10,000 locations are hashed at start-up.
  return hash('sha256', canonicalJson(value), 'hex').slice(0, 16)
}
