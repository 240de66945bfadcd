/**
 * A config store in etcd (spec §1.2, §12): one key per item under a prefix (`/pingap/basic.toml`,
 * `/pingap/upstreams/<name>.toml`), each value a TOML text. The last good set of texts is kept
 * on local disk so a node can start while etcd is unreachable.
 */
import { ConfigError, ConfigErrors } from '../core/errors.ts'
import { logger } from '../core/logger.ts'
import {
  b64,
  EtcdClient,
  parseEtcdUrl,
  prefixEnd,
  type EtcdRange,
  type EtcdWrite,
} from './etcd/client.ts'
import { cachePath, readCache, writeCache } from './etcd/cache.ts'
import { watchPrefix } from './etcd/watch.ts'
import { mergeDocuments, type TomlDocument } from './merge.ts'
import { parseConfig } from './parse.ts'
import { sourceKey } from './problems.ts'
import { checkItemName, itemFileName, planSave } from './save-plan.ts'
import type { ConfigStore } from './store.ts'
import { parseToml } from './toml.ts'
import type { ConfigCategory, LoadedConfig, RawTable } from './types.ts'

const log = logger.child({ component: 'etcd-store' })

/** One item change of a publish: `undefined` deletes the item. */
export interface ItemChange {
  readonly category: ConfigCategory
  readonly name: string
  readonly value: RawTable | undefined
}

/** Thrown by `publish` when someone else changed the config after `baseRevision`. */
export class RevisionConflictError extends Error {
  readonly revision: number
  constructor(revision: number) {
    super('the config changed in etcd since the base revision')
    this.name = 'RevisionConflictError'
    this.revision = revision
  }
}

const SOURCE = 'etcd:'
/** Under the prefix: node status keys (leased), outside the config and its guard. */
const NODES = 'nodes/'
/** Under the prefix: bumped by every publish, so a delete also moves the guarded ranges. */
const MARKER = 'published'

/** Parses and merges texts keyed by their source label (`etcd:<key>`). */
function mergeTexts(texts: ReadonlyMap<string, string>): LoadedConfig {
  const docs: TomlDocument[] = []
  const errors: ConfigError[] = []
  for (const file of [...texts.keys()].sort()) {
    try {
      docs.push({ file, table: parseToml(texts.get(file) ?? '', file) })
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err
      errors.push(err)
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors)
  return mergeDocuments(docs)
}

/** The etcd-backed store for `etcd://host1:2379,host2:2379/prefix?timeout=…`. */
export class EtcdConfigStore implements ConfigStore {
  readonly url: string
  readonly #client: EtcdClient
  readonly #prefix: string
  readonly #cacheFile: string
  /** The etcd revision each loaded document was read at (the base of an admin write). */
  readonly #loadedAt = new WeakMap<LoadedConfig, number>()
  #revision = 0

  constructor(url: string) {
    this.url = url
    const options = parseEtcdUrl(url)
    if (options.endpoints.length === 0) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', url, ['etcd URL names no host'])
    }
    this.#client = new EtcdClient(options)
    this.#prefix = `${options.prefix}/`
    this.#cacheFile = cachePath(url, options.cacheDir)
  }

  /** The etcd revision of the last successful read (0 before any). */
  get revision(): number {
    return this.#revision
  }

  #key(category: ConfigCategory, name: string): string {
    return `${this.#prefix}${itemFileName(category, name)}`
  }

  /** The prefix with its trailing slash (`/pingap/`). */
  get prefix(): string {
    return this.#prefix
  }

  /** The gateway client (node status uses it for leases). */
  get client(): EtcdClient {
    return this.#client
  }

  /** Where node status keys live: `<prefix>nodes/`. */
  get nodesPrefix(): string {
    return `${this.#prefix}${NODES}`
  }

  /** The etcd revision `loaded` was read at; undefined for a document from the local copy. */
  revisionOf(loaded: LoadedConfig): number | undefined {
    return this.#loadedAt.get(loaded)
  }

  // Everything under the prefix except the node status keys: what a publish is guarded by.
  #configRanges(): EtcdRange[] {
    const nodes = this.nodesPrefix
    return [
      [this.#prefix, b64(nodes)],
      [Buffer.from(prefixEnd(nodes), 'base64').toString('utf8'), prefixEnd(this.#prefix)],
    ]
  }

  async #read(): Promise<Map<string, string>> {
    const { kvs, revision } = await this.#client.range(this.#prefix)
    this.#revision = revision
    const texts = new Map<string, string>()
    for (const kv of kvs) if (kv.key.endsWith('.toml')) texts.set(`${SOURCE}${kv.key}`, kv.value)
    return texts
  }

  /** Reads every key under the prefix; falls back to the local copy when etcd is unreachable. */
  async load(): Promise<LoadedConfig> {
    let texts: Map<string, string>
    try {
      texts = await this.#read()
    } catch (err) {
      const cached = await readCache(this.#cacheFile)
      if (cached === undefined) throw err
      log.warn('etcd unreachable: serving the last good config from local disk', {
        url: redact(this.url),
        cache: this.#cacheFile,
        revision: cached.revision,
        error: err instanceof Error ? err.message : String(err),
      })
      return mergeTexts(new Map(Object.entries(cached.texts)))
    }
    const loaded = mergeTexts(texts)
    this.#loadedAt.set(loaded, this.#revision)
    // The local copy is the last *good* config: one that does not validate is not kept.
    if (!validates(loaded)) return loaded
    await writeCache(this.#cacheFile, {
      revision: this.#revision,
      texts: Object.fromEntries(texts),
    }).catch((err: unknown) =>
      log.warn('cannot write the etcd config cache', { error: String(err) }),
    )
    return loaded
  }

  /** Writes one item key (or deletes it), moving it out of any other key that held it. */
  async save(category: ConfigCategory, name: string, value: RawTable | undefined): Promise<void> {
    await this.publish([{ category, name, value }])
  }

  /**
   * Writes several items in one etcd transaction; with `baseRevision`, fails with
   * RevisionConflictError if any key under the prefix changed after it.
   */
  async publish(changes: readonly ItemChange[], baseRevision?: number): Promise<number> {
    for (const c of changes) checkItemName(c.category, c.name)
    const texts = await this.#read()
    const base = baseRevision ?? this.#revision
    const writes = new Map<string, string | undefined>()
    for (const { category, name, value } of changes) {
      const plan = planSave({
        category,
        name,
        value,
        target: `${SOURCE}${this.#key(category, name)}`,
        current: mergeTexts(texts).sources.get(sourceKey(category, name)),
        read: (file) => texts.get(file),
      })
      for (const [file, text] of plan.writes) {
        texts.set(file, text)
        writes.set(file.slice(SOURCE.length), text)
      }
      for (const file of plan.deletes) {
        texts.delete(file)
        writes.set(file.slice(SOURCE.length), undefined)
      }
    }
    if (writes.size === 0) return this.#revision
    const marker = JSON.stringify({ at: new Date().toISOString(), base })
    const list: EtcdWrite[] = [...writes, [`${this.#prefix}${MARKER}`, marker]]
    const result = await this.#client.txn(list, {
      ranges: this.#configRanges(),
      baseRevision: base,
    })
    if (!result.succeeded) throw new RevisionConflictError(result.revision)
    this.#revision = result.revision
    return result.revision
  }

  /** Yields after each change under the prefix, and once after every reconnection. */
  watch(signal: AbortSignal): AsyncIterable<void> {
    const nodes = this.nodesPrefix
    return watchPrefix(
      this.#client,
      this.#prefix,
      () => this.#revision,
      signal,
      (key) => key.startsWith(nodes),
    )
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

function validates(loaded: LoadedConfig): boolean {
  try {
    parseConfig(loaded)
    return true
  } catch {
    return false
  }
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  return url.replace(/([?&]password=)[^&]*/, '$1***')
}
