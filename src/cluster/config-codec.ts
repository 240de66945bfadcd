/**
 * How a validated config crosses the process boundary: the JSON text of the PingapConfig without
 * its hash, and the hash beside it. The primary parsed and validated this exact data (and its
 * dry-run build passed), so the worker does not run parseConfig again: on 10,000 locations that
 * would add ~90 ms of event-loop block to every reload in every worker (docs/cluster.md). A unit
 * test checks that parseConfig of the decoded data gives back the same config and hash.
 */
import type { PingapConfig } from '../config/types.ts'

/** A config as it travels. */
export interface EncodedConfig {
  readonly hash: string
  readonly text: string
}

/** Encodes a validated config once; every worker receives the same text. */
export function encodeConfig(config: PingapConfig): EncodedConfig {
  const { hash, ...body } = config
  return { hash, text: JSON.stringify(body) }
}

/** The config the primary encoded. */
export function decodeConfig(encoded: EncodedConfig): PingapConfig {
  const body = JSON.parse(encoded.text) as Omit<PingapConfig, 'hash'>
  return { ...body, hash: encoded.hash }
}
