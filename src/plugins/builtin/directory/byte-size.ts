/** Byte-size plugin options (`chunk_size`, `max_file_size`), read as Pingap's bytesize does. */
import { parseByteSize } from '../../../core/duration.ts'
import type { PluginOptions } from '../../conf.ts'

/** A byte size option: `"64kb"`, `"1MiB"` or a number of bytes. */
export function byteSize(
  options: PluginOptions,
  raw: Readonly<Record<string, unknown>>,
  key: string,
  fallback: number,
): number {
  const value = raw[key]
  if (value === undefined) return fallback
  if (typeof value === 'number' || typeof value === 'bigint') return options.int(key, fallback)
  const text = options.string(key).trim()
  const size = parseByteSize(text)
  if (size === undefined) throw options.error(key, `must be a size such as "64kb", not "${text}"`)
  return size
}
