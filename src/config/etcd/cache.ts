/**
 * The local copy of the last good etcd config: a JSON file of every key's TOML text, so a node
 * restarted while etcd is down still serves (control-plane §3.10).
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../atomic-file.ts'

/** What the cache file holds. */
export interface EtcdCache {
  readonly revision: number
  readonly texts: Readonly<Record<string, string>>
}

/**
 * `<cache_dir>/<hash>.json` when `?cache_dir=` is given, else
 * `$XDG_STATE_HOME/pingap-ts/<hash>.json` (default `~/.local/state/pingap-ts`); the hash is of
 * the URL, so two prefixes never share a file.
 */
export function cachePath(url: string, cacheDir: string | undefined): string {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 16)
  const state = process.env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state')
  return join(cacheDir ?? join(state, 'pingap-ts'), `etcd-${hash}.json`)
}

/** Reads the cache; undefined when missing or unreadable. */
export async function readCache(file: string): Promise<EtcdCache | undefined> {
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as Partial<EtcdCache>
    if (typeof json.texts !== 'object' || json.texts === null) return undefined
    return { revision: Number(json.revision ?? 0), texts: json.texts }
  } catch {
    return undefined
  }
}

/** Replaces the cache atomically. */
export async function writeCache(file: string, cache: EtcdCache): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(cache)}\n`, 0o600)
}
