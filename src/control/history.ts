/**
 * The on-disk history of config versions (control-plane.md §3.3):
 *
 *   <dir>/HEAD                     "42\n", the current version
 *   <dir>/versions/00000042.json       the config of version 42
 *   <dir>/versions/00000042.meta.json  who, when, why, what changed
 *
 * Files are replaced atomically (temp file, fsync, rename) and readable by the owner only: they
 * hold the config as applied, secrets included, as the config files themselves do. Writes are
 * synchronous because they happen once per applied version and must be done before it is
 * reported. Retention keeps the newest `maxVersions`, drops versions older than `maxAgeDays`
 * beyond the newest `minKeep`, and never drops the current one.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import type { PingapConfig } from '../config/types.ts'
import { logger } from '../core/logger.ts'
import type { ConfigVersion, VersionMeta } from './versions.ts'

const log = logger.child({ module: 'history' })

/** Where and how much history to keep. */
export interface HistoryOptions {
  readonly dir: string
  /** Default 200. */
  readonly maxVersions?: number
  /** Default 90. */
  readonly maxAgeDays?: number
  /** Versions kept whatever their age (default 10). */
  readonly minKeep?: number
}

const DAY_MS = 86_400_000

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // Some file systems refuse to fsync a directory; the rename is still atomic.
  }
}

/** Replaces `file` with `text` atomically and durably (synchronous). */
export function writeFileAtomicSync(file: string, text: string, dir: string): void {
  const temp = join(dir, `.tmp.${process.pid}.${randomBytes(6).toString('hex')}`)
  const fd = openSync(temp, 'wx', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    renameSync(temp, file)
  } catch (err) {
    try {
      unlinkSync(temp)
    } catch {
      // already gone
    }
    throw err
  }
  fsyncDir(dir)
}

function fileName(number: number): string {
  return String(number).padStart(8, '0')
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

export class HistoryStore {
  readonly dir: string
  readonly #versionsDir: string
  readonly #maxVersions: number
  readonly #maxAgeMs: number
  readonly #minKeep: number
  /** Every stored version's meta, by number. */
  readonly #index = new Map<number, VersionMeta>()
  #head: number | undefined

  constructor(options: HistoryOptions) {
    this.dir = options.dir
    this.#versionsDir = join(options.dir, 'versions')
    this.#maxVersions = Math.max(1, options.maxVersions ?? 200)
    this.#maxAgeMs = (options.maxAgeDays ?? 90) * DAY_MS
    this.#minKeep = Math.max(1, options.minKeep ?? 10)
    mkdirSync(this.#versionsDir, { recursive: true, mode: 0o700 })
    for (const entry of readdirSync(this.#versionsDir)) {
      const m = /^(\d+)\.meta\.json$/.exec(entry)
      if (m === null) continue
      const meta = readJson<VersionMeta>(join(this.#versionsDir, entry))
      if (meta !== undefined && meta.number === Number(m[1])) this.#index.set(meta.number, meta)
    }
    const head = Number.parseInt(readJson<number>(join(this.dir, 'HEAD'))?.toString() ?? '')
    this.#head = Number.isSafeInteger(head) && this.#index.has(head) ? head : undefined
  }

  /** The metas of every stored version, oldest first. */
  metas(): VersionMeta[] {
    return [...this.#index.values()].sort((a, b) => a.number - b.number)
  }

  /** The current version as last written, if any. */
  head(): ConfigVersion | undefined {
    return this.#head === undefined ? undefined : this.read(this.#head)
  }

  /** One stored version with its config. */
  read(number: number): ConfigVersion | undefined {
    const meta = this.#index.get(number)
    if (meta === undefined) return undefined
    const config = readJson<PingapConfig>(join(this.#versionsDir, `${fileName(number)}.json`))
    return config === undefined ? undefined : { ...meta, config }
  }

  /** Stores a version and makes it HEAD. Throws when the disk refuses. */
  write(version: ConfigVersion): void {
    const { config, ...meta } = version
    const base = join(this.#versionsDir, fileName(version.number))
    writeFileAtomicSync(`${base}.json`, JSON.stringify(config), this.#versionsDir)
    writeFileAtomicSync(`${base}.meta.json`, JSON.stringify(meta), this.#versionsDir)
    writeFileAtomicSync(join(this.dir, 'HEAD'), `${version.number}\n`, this.dir)
    this.#index.set(version.number, meta)
    this.#head = version.number
  }

  /** Applies the retention rules; returns the numbers still stored. */
  retained(now = Date.now()): Set<number> {
    const numbers = [...this.#index.keys()].sort((a, b) => b - a)
    const keep = new Set<number>()
    numbers.forEach((n, i) => {
      const meta = this.#index.get(n)
      const age = meta === undefined ? 0 : now - Date.parse(meta.createdAt)
      const young = i < this.#minKeep || !(age > this.#maxAgeMs)
      if (n === this.#head || (i < this.#maxVersions && young)) keep.add(n)
    })
    for (const n of numbers) {
      if (keep.has(n)) continue
      this.#index.delete(n)
      for (const suffix of ['.json', '.meta.json']) {
        try {
          unlinkSync(join(this.#versionsDir, `${fileName(n)}${suffix}`))
        } catch (err) {
          log.warn('cannot prune a history file', { version: n, err })
        }
      }
    }
    return keep
  }
}
