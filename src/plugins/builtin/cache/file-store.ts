/**
 * The file backend: one file per stored response under
 * `<dir>/<namespace hash>/<levels…>/<primary hash>/<variant hash>`, so a PURGE of a URI removes
 * one directory and a PURGE of a namespace another. Writes go to a temporary file renamed into
 * place (a reader never sees half an entry); the size is bounded by evicting the least recently
 * used files; a restart keeps every entry (an index of sizes is rebuilt by a background scan).
 *
 * File format: `PGC1`, a 32-bit big-endian metadata length, the metadata as JSON, the body.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '../../../core/logger.ts'
import type { CacheStore, StoredMeta, StoredResponse } from './store.ts'

const log = logger.child({ module: 'plugin', category: 'cache' })
const MAGIC = Buffer.from('PGC1')
const HEADER_BYTES = 8
/** Entries up to this size are read in one call; larger bodies stream from disk. */
const READ_WHOLE_BYTES = 1024 * 1024
const VARY_CACHE_ENTRIES = 10_000

interface IndexEntry {
  size: number
  usedAt: number
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function namespaceOf(primary: string): string {
  const end = primary.indexOf('\u0000')
  return end < 0 ? '' : primary.slice(0, end)
}

function encodeEntry(meta: StoredMeta, body: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(meta))
  const head = Buffer.alloc(HEADER_BYTES)
  MAGIC.copy(head, 0)
  head.writeUInt32BE(json.length, 4)
  return Buffer.concat([head, json, body])
}

async function walk(dir: string, found: (path: string) => void | Promise<void>): Promise<void> {
  let names
  try {
    names = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const d of names) {
    const path = join(dir, d.name)
    if (d.isDirectory()) await walk(path, found)
    else if (d.isFile()) await found(path)
  }
}

/** A bounded cache in a directory that survives restarts. */
export class FileStore implements CacheStore {
  readonly #root: string
  readonly #levels: readonly number[]
  #maxBytes: number
  #inactiveMs: number
  /** Entry files in least-recently-used order. */
  readonly #index = new Map<string, IndexEntry>()
  readonly #vary = new Map<string, readonly string[]>()
  #bytes = 0
  #opened = false
  #lastSweep = 0
  #tmpCounter = 0
  /** Resolves when the start-up scan is done (tests wait on it). */
  scanned: Promise<void> = Promise.resolve()

  constructor(root: string, levels: readonly number[], maxBytes: number, inactiveMs: number) {
    this.#root = root
    this.#levels = levels
    this.#maxBytes = maxBytes
    this.#inactiveMs = inactiveMs
  }

  /** Applies new limits from a reloaded config. */
  configure(maxBytes: number, inactiveMs: number): void {
    this.#maxBytes = maxBytes
    this.#inactiveMs = inactiveMs
    this.#evict()
  }

  /** Bytes of the entries known to the index. */
  get bytes(): number {
    return this.#bytes
  }

  open(): void {
    if (this.#opened) return
    this.#opened = true
    this.scanned = this.#scan().catch((err: unknown) => {
      log.warn('cache directory scan failed', { dir: this.#root, err })
    })
  }

  #namespaceDir(namespace: string): string {
    return join(this.#root, namespace === '' ? '_' : `ns-${hash(namespace).slice(0, 16)}`)
  }

  #primaryDir(primary: string): string {
    const h = hash(primary)
    const parts: string[] = []
    let at = 0
    for (const n of this.#levels) {
      parts.push(h.slice(at, at + n))
      at += n
    }
    return join(this.#namespaceDir(namespaceOf(primary)), ...parts, h)
  }

  #entryPath(primary: string, variant: string): string {
    return join(this.#primaryDir(primary), hash(variant).slice(0, 32))
  }

  async varyOf(primary: string, secondary: string): Promise<readonly string[]> {
    const key = `${primary}\u0000${secondary}`
    const cached = this.#vary.get(key)
    if (cached !== undefined) return cached
    const file = join(this.#primaryDir(primary), `${hash(secondary).slice(0, 32)}.vary`)
    let names: readonly string[] = []
    try {
      names = JSON.parse(await readFile(file, 'utf8')) as string[]
    } catch {
      names = []
    }
    this.#rememberVary(key, names)
    return names
  }

  #rememberVary(key: string, names: readonly string[]): void {
    if (this.#vary.size >= VARY_CACHE_ENTRIES) this.#vary.clear()
    this.#vary.set(key, names)
  }

  async get(primary: string, variant: string): Promise<StoredResponse | undefined> {
    const path = this.#entryPath(primary, variant)
    let handle
    try {
      handle = await open(path, 'r')
    } catch {
      this.#forget(path)
      return undefined
    }
    try {
      const { size } = await handle.stat()
      const first = Buffer.allocUnsafe(Math.min(size, READ_WHOLE_BYTES + 64 * 1024))
      const { bytesRead } = await handle.read(first, 0, first.length, 0)
      const found = this.#decode(path, first.subarray(0, bytesRead), size)
      if (found !== undefined) this.#touch(path, size)
      return found
    } catch (err) {
      log.warn('cache entry unreadable', { path, err })
      return undefined
    } finally {
      await handle.close().catch(() => undefined)
    }
  }

  #decode(path: string, head: Buffer, fileSize: number): StoredResponse | undefined {
    const corrupt = (): undefined => {
      this.#drop(path)
      return undefined
    }
    if (head.length < HEADER_BYTES || !head.subarray(0, 4).equals(MAGIC)) return corrupt()
    const metaLength = head.readUInt32BE(4)
    const offset = HEADER_BYTES + metaLength
    if (head.length < offset) return corrupt()
    let meta: StoredMeta
    try {
      meta = JSON.parse(head.subarray(HEADER_BYTES, offset).toString()) as StoredMeta
    } catch {
      return corrupt()
    }
    if (offset + meta.size !== fileSize) return corrupt()
    if (head.length >= fileSize) return { meta, body: head.subarray(offset, fileSize) }
    return {
      meta,
      stream: (start, end) => createReadStream(path, { start: offset + start, end: offset + end }),
    }
  }

  async put(
    primary: string,
    secondary: string,
    variant: string,
    meta: StoredMeta,
    body: Buffer,
  ): Promise<void> {
    const data = encodeEntry(meta, body)
    if (data.length > this.#maxBytes) return
    const dir = this.#primaryDir(primary)
    const path = this.#entryPath(primary, variant)
    await mkdir(dir, { recursive: true })
    await this.#atomicWrite(path, data)
    const varyFile = join(dir, `${hash(secondary).slice(0, 32)}.vary`)
    if (meta.vary.length > 0) await this.#atomicWrite(varyFile, JSON.stringify(meta.vary))
    else await unlink(varyFile).catch(() => undefined)
    this.#rememberVary(`${primary}\u0000${secondary}`, meta.vary)
    this.#touch(path, data.length)
    this.#evict()
  }

  async #atomicWrite(path: string, data: Buffer | string): Promise<void> {
    const tmp = `${path}.${process.pid}.${++this.#tmpCounter}.tmp`
    try {
      await writeFile(tmp, data)
      await rename(tmp, path)
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      throw err
    }
  }

  async purge(primary: string): Promise<number> {
    const dir = this.#primaryDir(primary)
    let count = 0
    await walk(dir, (path) => {
      if (!path.endsWith('.vary')) count++
      this.#forget(path)
    })
    await rm(dir, { recursive: true, force: true })
    this.#vary.clear()
    return count
  }

  async purgePrefix(prefix: string): Promise<{ purged: number; failed: number }> {
    const dir = this.#namespaceDir(prefix.endsWith('\u0000') ? prefix.slice(0, -1) : prefix)
    let purged = 0
    let failed = 0
    await walk(dir, async (path) => {
      try {
        await unlink(path)
        if (!path.endsWith('.vary')) purged++
      } catch {
        failed++
      }
      this.#forget(path)
    })
    await rm(dir, { recursive: true, force: true }).catch(() => undefined)
    this.#vary.clear()
    return { purged, failed }
  }

  #touch(path: string, size: number): void {
    const old = this.#index.get(path)
    if (old !== undefined) {
      this.#index.delete(path)
      this.#bytes -= old.size
    }
    this.#index.set(path, { size, usedAt: Date.now() })
    this.#bytes += size
  }

  #forget(path: string): void {
    const old = this.#index.get(path)
    if (old === undefined) return
    this.#index.delete(path)
    this.#bytes -= old.size
  }

  #drop(path: string): void {
    this.#forget(path)
    unlink(path).catch(() => undefined)
  }

  #evict(): void {
    const now = Date.now()
    const sweep = this.#inactiveMs > 0 && now - this.#lastSweep > Math.min(this.#inactiveMs, 60_000)
    if (sweep) this.#lastSweep = now
    for (const [path, entry] of this.#index) {
      const inactive = sweep && now - entry.usedAt > this.#inactiveMs
      if (!inactive && this.#bytes <= this.#maxBytes) break
      this.#drop(path)
    }
  }

  /** Rebuilds the index from disk, oldest first, and removes leftovers of interrupted writes. */
  async #scan(): Promise<void> {
    const found: Array<[string, IndexEntry]> = []
    await walk(this.#root, async (path) => {
      if (path.endsWith('.tmp')) {
        // Another process's (or an earlier run's) interrupted write; ours are still running.
        if (!path.includes(`.${process.pid}.`)) await unlink(path).catch(() => undefined)
        return
      }
      if (path.endsWith('.vary')) return
      const s = await stat(path).catch(() => undefined)
      if (s !== undefined) found.push([path, { size: s.size, usedAt: s.mtimeMs }])
    })
    found.sort((a, b) => a[1].usedAt - b[1].usedAt)
    const fresh = new Map(this.#index)
    this.#index.clear()
    this.#bytes = 0
    for (const [path, entry] of [...found, ...fresh]) {
      this.#index.delete(path)
      this.#index.set(path, entry)
    }
    for (const entry of this.#index.values()) this.#bytes += entry.size
    this.#evict()
  }
}
