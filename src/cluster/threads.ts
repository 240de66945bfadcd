/**
 * How many worker processes to run: `--threads` wins over `basic.threads`; 0 means one per CPU
 * (os.availableParallelism); unset means 1, the single-process model.
 */
import { availableParallelism } from 'node:os'
import type { ConfigStore } from '../config/store.ts'
import { isTable } from '../config/toml.ts'

/** The worker count for a `threads` value (0 = CPU count, unset = 1). */
export function threadCount(threads: number | undefined): number {
  if (threads === undefined) return 1
  return threads === 0 ? availableParallelism() : threads
}

/** Parses a `--threads` value: a non-negative integer, else undefined. */
export function parseThreads(text: string): number | undefined {
  return /^\d{1,4}$/.test(text.trim()) ? Number(text.trim()) : undefined
}

/**
 * `basic.threads` as the store holds it, read before the full load decides the process model.
 * An invalid value counts as unset here; the full parse that follows reports it.
 */
export async function configuredThreads(store: ConfigStore): Promise<number | undefined> {
  const { raw } = await store.load()
  const basic = raw['basic']
  const threads = isTable(basic) ? basic['threads'] : undefined
  return typeof threads === 'number' && Number.isInteger(threads) && threads >= 0
    ? threads
    : undefined
}
