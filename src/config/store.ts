/**
 * Where the config lives and how it changes: the ConfigStore interface and the factory that picks
 * an implementation from the `-c` value (spec §1.2, §12).
 */
import { ConfigError } from '../core/errors.ts'
import { EtcdConfigStore } from './etcd-store.ts'
import { FileConfigStore } from './file-store.ts'
import { MemoryConfigStore } from './memory-store.ts'
import type { ConfigCategory, LoadedConfig, RawTable } from './types.ts'

/** A source of configuration: a file, a directory of files, etcd or memory. */
export interface ConfigStore {
  readonly url: string
  /** Reads everything and merges it into one document, with the source of each item. */
  load(): Promise<LoadedConfig>
  /** Writes one item (`basic` ignores `name`) in its own file; `undefined` deletes it. */
  save(category: ConfigCategory, name: string, value: RawTable | undefined): Promise<void>
  /** Yields once per settled change; ends when `signal` aborts. Never throws. */
  watch(signal: AbortSignal): AsyncIterable<void>
  close(): Promise<void>
}

/** Options shared by the stores that watch a file system. */
export interface ConfigStoreOptions {
  /** Poll at this interval instead of relying on file-system events. */
  readonly pollIntervalMs?: number
}

/**
 * Opens the store named by `url`: `etcd://hosts/prefix?…`, `memory://` (empty, in memory), otherwise a file or directory path with an optional `file://` prefix and
 * `?separation=true`.
 */
export function openConfigStore(url: string, options: ConfigStoreOptions = {}): ConfigStore {
  if (url.startsWith('etcd://')) return new EtcdConfigStore(url)
  if (url.startsWith('memory://')) return new MemoryConfigStore({}, url)
  if (/\.(hcl|kdl)(\?|$)/.test(url)) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', url, [
      'HCL and KDL configs are not supported; use TOML',
    ])
  }
  return new FileConfigStore(url, options)
}
