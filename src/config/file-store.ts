/**
 * Pingap's file layouts (spec §1.2): one `.toml` file, or a directory whose `**\/*.toml` files
 * (one per category, or `<category>/<name>.toml` per item with `?separation=true`) form one
 * document. Each file is parsed on its own so a syntax error names its file, line and column.
 */
import { createHash } from 'node:crypto'
import { statSync, type Stats } from 'node:fs'
import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { ConfigError, ConfigErrors } from '../core/errors.ts'
import { writeFileAtomic, removeFile } from './atomic-file.ts'
import { mergeDocuments, type TomlDocument } from './merge.ts'
import { sourceKey } from './problems.ts'
import { checkItemName, itemFileName, planSave } from './save-plan.ts'
import type { ConfigStore } from './store.ts'
import { parseToml } from './toml.ts'
import type { ConfigCategory, LoadedConfig, RawTable } from './types.ts'
import { watchChanges } from './watch.ts'

/** Options of a file store. */
export interface FileStoreOptions {
  /** Poll the file system at this interval instead of relying on events. */
  readonly pollIntervalMs?: number
  /** Fingerprint re-check interval (default 2 s); events only make it sooner. */
  readonly recheckMs?: number
  readonly debounceMs?: number
  /** Called when a watcher has finished its initial scan (tests wait for it). */
  readonly onWatcherReady?: () => void
}

/** `single`: one file. `directory`: every `.toml` below a directory. */
export type FileLayout = 'single' | 'directory'

/** Splits a `-c` value into path, layout and the `separation` flag (`?separation=true`). */
export function parseFileUrl(url: string): {
  path: string
  layout: FileLayout
  separation: boolean
} {
  const noScheme = url.startsWith('file://') ? url.slice('file://'.length) : url
  const q = noScheme.indexOf('?')
  const path = resolve(q < 0 ? noScheme : noScheme.slice(0, q))
  const query = new URLSearchParams(q < 0 ? '' : noScheme.slice(q + 1))
  const flag = query.get('separation')
  return {
    path,
    layout: path.endsWith('.toml') ? 'single' : 'directory',
    separation: flag !== null && flag !== 'false',
  }
}

function isHidden(name: string): boolean {
  // Dot entries are editor droppings, VCS folders, our temp files, or Kubernetes' "..data"
  // folders that duplicate the visible symlinks.
  return name.startsWith('.')
}

/** Every `.toml` file below `dir` (recursive, symlinks followed once), sorted by path. */
async function listTomlFiles(dir: string): Promise<string[]> {
  const out: string[] = []
  const seen = new Set<string>()
  const walk = async (current: string): Promise<void> => {
    const real = await realpath(current).catch(() => undefined)
    if (real === undefined || seen.has(real)) return
    seen.add(real)
    const entries = await readdir(current, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      if (isHidden(entry.name)) continue
      const full = join(current, entry.name)
      const info = entry.isSymbolicLink() ? await stat(full).catch(() => undefined) : entry
      if (info === undefined) continue
      if (info.isDirectory()) await walk(full)
      else if (info.isFile() && entry.name.endsWith('.toml')) out.push(full)
    }
  }
  await walk(dir)
  return out.sort()
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** A config kept in files. */
export class FileConfigStore implements ConfigStore {
  readonly url: string
  readonly path: string
  readonly layout: FileLayout
  readonly #options: FileStoreOptions
  #lastFingerprint: string | undefined
  #saving: Promise<unknown> = Promise.resolve()

  constructor(url: string, options: FileStoreOptions = {}) {
    this.url = url
    const parsed = parseFileUrl(url)
    this.path = parsed.path
    // Pingap also treats an existing file without the .toml extension as a single file.
    const isFile = statSync(parsed.path, { throwIfNoEntry: false })?.isFile() === true
    this.layout = isFile ? 'single' : parsed.layout
    this.#options = options
  }

  async #files(): Promise<string[]> {
    return this.layout === 'single' ? [this.path] : listTomlFiles(this.path)
  }

  /** The text of every config file, by absolute path (missing files left out). */
  async #readAll(): Promise<Map<string, string>> {
    const texts = new Map<string, string>()
    for (const file of await this.#files()) {
      const text = await readIfExists(file)
      if (text !== undefined) texts.set(file, text)
    }
    return texts
  }

  #fingerprintOf(texts: ReadonlyMap<string, string>): string {
    const hash = createHash('sha256')
    for (const [file, text] of texts) hash.update(`${file}\0${text.length}\0${text}\0`)
    return hash.digest('hex')
  }

  #merge(texts: ReadonlyMap<string, string>): LoadedConfig {
    const docs: TomlDocument[] = []
    const errors: ConfigError[] = []
    for (const [file, text] of texts) {
      try {
        docs.push({ file, table: parseToml(text, file) })
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        errors.push(err)
      }
    }
    if (errors.length > 0) throw new ConfigErrors(errors)
    return mergeDocuments(docs)
  }

  /** Reads and merges every config file. */
  async load(): Promise<LoadedConfig> {
    const texts = await this.#readAll()
    this.#lastFingerprint = this.#fingerprintOf(texts)
    return this.#merge(texts)
  }

  /** Writes (or with `undefined`, deletes) one item in its own file, atomically. */
  save(category: ConfigCategory, name: string, value: RawTable | undefined): Promise<void> {
    const run = this.#saving.then(() => this.#save(category, name, value))
    this.#saving = run.catch(() => undefined)
    return run
  }

  async #save(category: ConfigCategory, name: string, value: RawTable | undefined): Promise<void> {
    const key = sourceKey(category, name)
    if (this.layout === 'single') {
      const message = `admin writes need a directory config (e.g. -c /etc/pingap/conf), not the single file ${this.path}`
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', key, [message], { file: this.path })
    }
    checkItemName(category, name)
    const texts = await this.#readAll()
    const { sources } = this.#merge(texts)
    const plan = planSave({
      category,
      name,
      value,
      target: join(this.path, itemFileName(category, name)),
      current: sources.get(key),
      read: (file) => texts.get(file),
    })
    for (const [file, text] of plan.writes) await writeFileAtomic(file, text)
    for (const file of plan.deletes) await removeFile(file)
  }

  /** Yields after each settled change of the files (this process's own saves included). */
  watch(signal: AbortSignal): AsyncIterable<void> {
    const single = this.layout === 'single'
    const root = single ? dirname(this.path) : this.path
    const pollEnv = process.env['PINGAP_WATCH_POLL']
    const usePolling =
      this.#options.pollIntervalMs !== undefined || pollEnv === '1' || pollEnv === 'true'
    const ignored = (path: string, stats?: Stats): boolean => {
      if (single) return path !== root && path !== this.path
      if (path === root || relative(root, path).startsWith('..')) return false
      if (isHidden(basename(path))) return true
      return stats?.isFile() === true && !path.endsWith('.toml')
    }
    return watchChanges(signal, {
      paths: [single ? root : this.path],
      ignored,
      fingerprint: async () => this.#fingerprintOf(await this.#readAll()),
      baseline: () => this.#lastFingerprint,
      usePolling,
      ...(this.#options.pollIntervalMs === undefined
        ? {}
        : { pollIntervalMs: this.#options.pollIntervalMs }),
      ...(this.#options.recheckMs === undefined ? {} : { recheckMs: this.#options.recheckMs }),
      ...(this.#options.debounceMs === undefined ? {} : { debounceMs: this.#options.debounceMs }),
      ...(this.#options.onWatcherReady === undefined
        ? {}
        : { onReady: this.#options.onWatcherReady }),
    })
  }

  /** Waits for a save in progress; watchers end with their own AbortSignal. */
  async close(): Promise<void> {
    await this.#saving
  }
}
