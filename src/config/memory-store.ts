/**
 * A config store over an in-memory map of TOML texts (key → text), for tests and quick mode.
 * Keys play the part of file names (`pingap.toml`, `locations/api.toml`) in errors and sources.
 */
import { ConfigError, ConfigErrors } from '../core/errors.ts'
import { ChangeSignal } from './change-signal.ts'
import { mergeDocuments, type TomlDocument } from './merge.ts'
import { sourceKey } from './problems.ts'
import { checkItemName, itemFileName, planSave } from './save-plan.ts'
import type { ConfigStore } from './store.ts'
import { parseToml } from './toml.ts'
import type { ConfigCategory, LoadedConfig, RawTable } from './types.ts'

/** An in-memory config; `set()` simulates a change made by someone else. */
export class MemoryConfigStore implements ConfigStore {
  readonly url: string
  readonly #texts = new Map<string, string>()
  readonly #listeners = new Set<() => void>()

  constructor(texts: Readonly<Record<string, string>> = {}, url = 'memory://') {
    this.url = url
    for (const [key, text] of Object.entries(texts)) this.#texts.set(key, text)
  }

  /** The current text of every key (a copy). */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.#texts)
  }

  /** Replaces (or with `undefined`, removes) one text and tells every watcher. */
  set(key: string, text: string | undefined): void {
    if (text === undefined) this.#texts.delete(key)
    else this.#texts.set(key, text)
    for (const listener of this.#listeners) listener()
  }

  #merge(): LoadedConfig {
    const docs: TomlDocument[] = []
    const errors: ConfigError[] = []
    for (const key of [...this.#texts.keys()].sort()) {
      try {
        docs.push({ file: key, table: parseToml(this.#texts.get(key) ?? '', key) })
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        errors.push(err)
      }
    }
    if (errors.length > 0) throw new ConfigErrors(errors)
    return mergeDocuments(docs)
  }

  /** Parses and merges every text. */
  load(): Promise<LoadedConfig> {
    try {
      return Promise.resolve(this.#merge())
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Writes one item under `<category>/<name>.toml` (or `basic.toml`), as the file store does. */
  save(category: ConfigCategory, name: string, value: RawTable | undefined): Promise<void> {
    try {
      checkItemName(category, name)
      const plan = planSave({
        category,
        name,
        value,
        target: itemFileName(category, name),
        current: this.#merge().sources.get(sourceKey(category, name)),
        read: (key) => this.#texts.get(key),
      })
      for (const [key, text] of plan.writes) this.#texts.set(key, text)
      for (const key of plan.deletes) this.#texts.delete(key)
      return Promise.resolve()
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Yields after each `set()` (own saves are not reported); coalesces bursts. */
  async *watch(signal: AbortSignal): AsyncGenerator<void> {
    const changes = new ChangeSignal()
    const listener = (): void => changes.notify()
    this.#listeners.add(listener)
    try {
      yield* changes.until(signal)
    } finally {
      this.#listeners.delete(listener)
    }
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}
