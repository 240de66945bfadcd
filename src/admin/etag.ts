/**
 * ETags and preconditions (control-plane.md §3.6). The global ETag `"<version>-<hash12>"` names
 * a whole version; an item ETag `"item-<hash12>"` names one item's content, so an item write
 * based on it succeeds while that item is unchanged, whatever else changed. Writes without any
 * precondition get 428; a stale one gets 412 with the current version.
 */
import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import type { ConfigVersion } from '../control/versions.ts'
import { canonicalJson } from '../core/hash.ts'
import { AdminError } from './errors.ts'

/** The ETag of a version. */
export function globalEtag(version: Pick<ConfigVersion, 'number' | 'hash'>): string {
  return `"${version.number}-${version.hash.slice(0, 12)}"`
}

/** The ETag of one item's content. */
export function itemEtag(item: unknown): string {
  return `"item-${createHash('sha256').update(canonicalJson(item)).digest('hex').slice(0, 12)}"`
}

/** What a write is based on. */
export type Precondition =
  | { readonly kind: 'etags'; readonly tags: readonly string[] }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'absent' }

/** Reads `If-Match` (or `If-None-Match: *`), else `baseVersion` from the body. */
export function readPrecondition(
  headers: IncomingHttpHeaders,
  baseVersion?: unknown,
): Precondition | undefined {
  const ifMatch = headers['if-match']
  if (ifMatch !== undefined && ifMatch.trim() !== '') {
    const tags = ifMatch
      .split(',')
      .map((t) => t.trim().replace(/^W\//, ''))
      .filter((t) => t !== '')
    return { kind: 'etags', tags }
  }
  if (headers['if-none-match']?.trim() === '*') return { kind: 'absent' }
  if (typeof baseVersion === 'number' && Number.isSafeInteger(baseVersion)) {
    return { kind: 'version', version: baseVersion }
  }
  return undefined
}

function conflict(current: ConfigVersion, why: string): AdminError {
  return new AdminError('PGT_ERR_CONFIG_CONFLICT', [String(current.number)], {
    detail: why,
    current: { version: current.number, etag: globalEtag(current) },
  })
}

function required(): AdminError {
  return new AdminError('PGT_ERR_ADMIN_PRECONDITION_REQUIRED')
}

/** Checks a whole-config write: it must name the current version. */
export function checkGlobal(p: Precondition | undefined, current: ConfigVersion): void {
  if (p === undefined) throw required()
  if (p.kind === 'version') {
    if (p.version !== current.number) throw conflict(current, 'baseVersion is not current')
    return
  }
  if (p.kind === 'absent' || !p.tags.some((t) => t === '*' || t === globalEtag(current))) {
    throw conflict(current, 'If-Match does not name the current version')
  }
}

/** Checks an item write against the current version and the item's current content. */
export function checkItem(
  p: Precondition | undefined,
  current: ConfigVersion,
  item: unknown,
): void {
  if (p === undefined) throw required()
  if (p.kind === 'absent') {
    if (item !== undefined) throw conflict(current, 'the item exists (If-None-Match: *)')
    return
  }
  if (p.kind === 'version') {
    if (p.version !== current.number) throw conflict(current, 'baseVersion is not current')
    return
  }
  const ok = p.tags.some(
    (t) => t === globalEtag(current) || (item !== undefined && (t === '*' || t === itemEtag(item))),
  )
  if (!ok) throw conflict(current, 'If-Match names neither the current version nor the item')
}
