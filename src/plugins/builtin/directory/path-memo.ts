/**
 * Request paths already decoded and joined onto the root: a hot URL is split, decoded and
 * joined once instead of on every request. Bounded (entries and key length); when full it
 * starts over, so a flood of distinct paths costs what it cost without the memo.
 */
import { join } from 'node:path'
import { decodeRequestPath, type DecodedPath } from './request-path.ts'

/** A decoded request path and, when it may be served, its file path under the root. */
export interface ResolvedPath {
  readonly decoded: DecodedPath
  /** `root` joined with the decoded segments; undefined when `decoded` is a refusal. */
  readonly file: string | undefined
}

const MAX_ENTRIES = 1024
/** Longer paths are decoded every time rather than kept. */
const MAX_KEY_LENGTH = 512

/** The memo of one `directory` plugin instance. */
export class PathMemo {
  readonly #root: string
  readonly #entries = new Map<string, ResolvedPath>()

  constructor(root: string) {
    this.#root = root
  }

  /** The decoded form of the normalised `path` (no query). */
  resolve(path: string): ResolvedPath {
    const known = this.#entries.get(path)
    if (known !== undefined) return known
    const decoded = decodeRequestPath(path)
    const resolved: ResolvedPath = {
      decoded,
      file: decoded.ok ? join(this.#root, ...decoded.segments) : undefined,
    }
    if (path.length <= MAX_KEY_LENGTH) {
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear()
      this.#entries.set(path, resolved)
    }
    return resolved
  }
}
