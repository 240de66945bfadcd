/** Builds the selector named by an upstream's `algo` (spec §3.2). */
import { ConfigError } from '../../core/errors.ts'
import type { Selector } from '../types.ts'
import { consistentHash } from './consistent-hash.ts'
import { hashKeyFor } from './hash-key.ts'
import { weightedRandom } from './random.ts'
import { roundRobin } from './round-robin.ts'

/**
 * `round_robin` (also when unset or empty), `random`, `hash` (the path) or `hash:<kind>[:<name>]`.
 * Anything else is a ConfigError at `path`, where Pingap silently falls back to round robin.
 */
export function createSelector(algo: string | undefined, path = 'algo'): Selector {
  const value = (algo ?? '').trim()
  const lower = value.toLowerCase()
  if (lower === '' || lower === 'round_robin') return roundRobin()
  if (lower === 'random') return weightedRandom()
  if (lower === 'hash' || lower.startsWith('hash:')) {
    return consistentHash(value, hashKeyFor(value, path))
  }
  throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [
    `unknown algo "${value}" (expected round_robin, random, hash or hash:<kind>[:<name>])`,
  ])
}
