/**
 * The audit log (control-plane.md §3.7): one JSON object per line in monthly files
 * (`<dir>/2026-08.jsonl`), plus the newest entries in memory. Every config write attempt,
 * conflict, rejection, login and failed login gets an entry naming the authenticated actor and
 * the paths that changed, never the values. Appends are synchronous: a write whose audit entry
 * cannot be stored fails.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import { logger } from '../core/logger.ts'
import type { VersionAuthor } from './versions.ts'

const log = logger.child({ module: 'audit' })

export type AuditAction =
  | 'config.publish'
  | 'config.rollback'
  | 'config.import'
  | 'config.rejected'
  | 'config.conflict'
  | 'auth.login'
  | 'auth.logout'
  | 'auth.failed'
  | 'auth.locked'

export interface AuditEntry {
  readonly id: string
  readonly at: string
  readonly requestId?: string
  readonly actor: string
  readonly actorKind: VersionAuthor['kind']
  readonly ip?: string
  readonly action: AuditAction
  readonly source?: string
  readonly version?: number
  readonly baseVersion?: number
  /** Changed paths (`~upstreams.api`), never values. */
  readonly changes?: readonly string[]
  readonly result: 'ok' | 'rejected' | 'conflict' | 'error'
  readonly detail?: string
}

/** An entry before the log stamps it. */
export type AuditInput = Omit<AuditEntry, 'id' | 'at'>

/** Filters of {@link AuditLog.query}; `since` is an ISO date. */
export interface AuditQuery {
  readonly since?: string
  readonly actor?: string
  readonly action?: string
  readonly limit?: number
}

export interface AuditOptions {
  /** Directory of the monthly files; memory only when undefined. */
  readonly dir?: string
  /** Monthly files kept (default 12). */
  readonly maxMonths?: number
  /** Entries kept in memory (default 1000). */
  readonly memory?: number
}

function month(at: string): string {
  return at.slice(0, 7)
}

function matches(entry: AuditEntry, q: AuditQuery): boolean {
  if (q.since !== undefined && entry.at < q.since) return false
  if (q.actor !== undefined && q.actor !== '' && entry.actor !== q.actor) return false
  if (q.action !== undefined && q.action !== '' && !entry.action.startsWith(q.action)) return false
  return true
}

export class AuditLog {
  readonly #dir: string | undefined
  readonly #maxMonths: number
  readonly #memoryLimit: number
  readonly #recent: AuditEntry[] = []
  readonly #listeners = new Set<(entry: AuditEntry) => void>()

  constructor(options: AuditOptions = {}) {
    this.#dir = options.dir
    this.#maxMonths = Math.max(1, options.maxMonths ?? 12)
    this.#memoryLimit = options.memory ?? 1000
    if (this.#dir !== undefined) mkdirSync(this.#dir, { recursive: true, mode: 0o700 })
  }

  /** Calls `listener` after each entry; returns the unsubscribe function. */
  onAppend(listener: (entry: AuditEntry) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Stamps and stores one entry; throws when the file cannot be written. */
  append(input: AuditInput): AuditEntry {
    const at = new Date().toISOString()
    const entry: AuditEntry = {
      id: `${Date.now()}-${randomBytes(4).toString('hex')}`,
      at,
      ...input,
    }
    if (this.#dir !== undefined) this.#write(entry)
    this.#recent.push(entry)
    if (this.#recent.length > this.#memoryLimit) this.#recent.shift()
    for (const listener of this.#listeners) listener(entry)
    return entry
  }

  #write(entry: AuditEntry): void {
    const dir = this.#dir as string
    const file = join(dir, `${month(entry.at)}.jsonl`)
    const fd = openSync(file, 'a', 0o600)
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    this.#prune()
  }

  #files(): string[] {
    if (this.#dir === undefined) return []
    return readdirSync(this.#dir)
      .filter((f) => /^\d{4}-\d{2}\.jsonl$/.test(f))
      .sort()
  }

  #prune(): void {
    const files = this.#files()
    for (const file of files.slice(0, Math.max(0, files.length - this.#maxMonths))) {
      try {
        unlinkSync(join(this.#dir as string, file))
      } catch (err) {
        log.warn('cannot prune an audit file', { file, err })
      }
    }
  }

  /** Entries matching `q`, newest first (default limit 100, at most 1000). */
  query(q: AuditQuery = {}): AuditEntry[] {
    const limit = Math.min(Math.max(1, q.limit ?? 100), 1000)
    const out: AuditEntry[] = []
    if (this.#dir === undefined) {
      for (let i = this.#recent.length - 1; i >= 0 && out.length < limit; i--) {
        const entry = this.#recent[i] as AuditEntry
        if (matches(entry, q)) out.push(entry)
      }
      return out
    }
    for (const file of this.#files().reverse()) {
      if (q.since !== undefined && `${file.slice(0, 7)}-99` < q.since.slice(0, 10)) break
      const lines = readFileSync(join(this.#dir, file), 'utf8').split('\n')
      for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
        const line = lines[i]
        if (line === undefined || line === '') continue
        try {
          const entry = JSON.parse(line) as AuditEntry
          if (matches(entry, q)) out.push(entry)
        } catch {
          // a torn last line after a crash: skip it
        }
      }
      if (out.length >= limit) break
    }
    return out
  }
}
