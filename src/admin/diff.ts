/**
 * What a change does to the config: key-level change entries (control-plane.md §3.5), the
 * per-item TOML before and after (secrets redacted) for the side-by-side view, and the changed
 * paths that only take effect after a restart.
 */
import { tomlKey } from '../config/problems.ts'
import { stringifyItem } from '../config/toml.ts'
import { CONFIG_CATEGORIES, type ConfigCategory, type RawTable } from '../config/types.ts'
import { canonicalJson } from '../core/hash.ts'
import { itemOf } from './candidate.ts'
import { diffLines, unifiedText, type DiffLine } from './line-diff.ts'
import { redactItem } from './redact.ts'

export interface ChangeEntry {
  readonly op: 'add' | 'remove' | 'replace'
  readonly path: string
}

/** One changed item for the diff view. */
export interface ItemDiff {
  readonly op: ChangeEntry['op']
  readonly path: string
  readonly before: string | null
  readonly after: string | null
  readonly lines: readonly DiffLine[]
}

/**
 * Keys that a running process cannot apply live (docs/admin.md): the process model and
 * socket options fixed when a listener opens.
 */
const RESTART_KEYS: readonly RegExp[] = [
  /^basic\.(threads|user|group|pid_file|upgrade_sock|work_stealing|listener_tasks_per_fd)$/,
  /^servers\.[^.]+\.(threads|reuse_port|tcp_fastopen)$/,
]

function itemPathOf(category: ConfigCategory, name: string): string {
  return category === 'basic' ? 'basic' : `${category}.${tomlKey(name)}`
}

function names(doc: object | undefined, category: ConfigCategory): string[] {
  if (category === 'basic') return ['']
  const section = (doc as Record<string, unknown> | undefined)?.[category]
  return typeof section === 'object' && section !== null ? Object.keys(section) : []
}

function same(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null)
}

function keyChanges(base: string, before: RawTable, after: RawTable): ChangeEntry[] {
  const out: ChangeEntry[] = []
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const path = `${base}.${tomlKey(key)}`
    if (!(key in after)) out.push({ op: 'remove', path })
    else if (!(key in before)) out.push({ op: 'add', path })
    else if (!same(before[key], after[key])) out.push({ op: 'replace', path })
  }
  return out
}

type Pair = [ConfigCategory, string, RawTable | undefined, RawTable | undefined]

function changedItems(before: object | undefined, after: object): Pair[] {
  const out: Pair[] = []
  for (const category of CONFIG_CATEGORIES) {
    for (const name of new Set([...names(before, category), ...names(after, category)])) {
      const a = before === undefined ? undefined : itemOf(before, category, name)
      const b = itemOf(after, category, name)
      if (!same(a, b)) out.push([category, name, a, b])
    }
  }
  return out
}

/** Key-level changes from `before` to `after` (whole items when added or removed). */
export function changeEntries(before: object | undefined, after: object): ChangeEntry[] {
  const out: ChangeEntry[] = []
  for (const [category, name, a, b] of changedItems(before, after)) {
    const path = itemPathOf(category, name)
    if (category === 'basic') out.push(...keyChanges(path, a ?? {}, b ?? {}))
    else if (a === undefined) out.push({ op: 'add', path })
    else if (b === undefined) out.push({ op: 'remove', path })
    else out.push(...keyChanges(path, a, b))
  }
  return out
}

/** The changed paths that need a restart to take effect. */
export function restartNeeded(changes: readonly ChangeEntry[]): string[] {
  return changes.filter((c) => RESTART_KEYS.some((re) => re.test(c.path))).map((c) => c.path)
}

function toml(category: ConfigCategory, name: string, item: RawTable | undefined): string | null {
  return item === undefined ? null : stringifyItem(category, name, redactItem(category, item))
}

/** Per-item diffs (redacted TOML and line diff) from `before` to `after`. */
export function itemDiffs(before: object | undefined, after: object): ItemDiff[] {
  return changedItems(before, after).map(([category, name, a, b]) => {
    const left = toml(category, name, a)
    const right = toml(category, name, b)
    const op = a === undefined ? 'add' : b === undefined ? 'remove' : 'replace'
    return {
      op,
      path: itemPathOf(category, name),
      before: left,
      after: right,
      lines: diffLines(left ?? '', right ?? ''),
    }
  })
}

/** The whole diff as one unified text. */
export function unifiedDiff(diffs: readonly ItemDiff[], from: string, to: string): string {
  return diffs.map((d) => unifiedText(d.lines, `${from}/${d.path}`, `${to}/${d.path}`)).join('')
}
