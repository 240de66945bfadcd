/**
 * The `autoindex` HTML listing: dotfiles hidden, directories first, every name HTML-escaped in
 * the text and percent-encoded in the link, so a file called `<script>` is shown, not run.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { escapeHtml } from '../../../core/html-escape.ts'

interface Entry {
  readonly name: string
  readonly dir: boolean
  readonly size: number
  readonly mtimeMs: number
}

async function entries(dir: string): Promise<Entry[]> {
  const names = await readdir(dir, { withFileTypes: true })
  const visible = names.filter((d) => !d.name.startsWith('.'))
  const out = await Promise.all(
    visible.map(async (d): Promise<Entry | undefined> => {
      try {
        const s = await stat(join(dir, d.name))
        return { name: d.name, dir: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs }
      } catch {
        return undefined // a dangling link or an entry removed meanwhile
      }
    }),
  )
  return out
    .filter((e): e is Entry => e !== undefined)
    .sort((a, b) => (a.dir === b.dir ? a.name.localeCompare(b.name) : a.dir ? -1 : 1))
}

function row(e: Entry): string {
  const href = encodeURIComponent(e.name) + (e.dir ? '/' : '')
  const text = escapeHtml(e.name) + (e.dir ? '/' : '')
  const size = e.dir ? '-' : String(e.size)
  const date = new Date(e.mtimeMs).toISOString().replace('T', ' ').slice(0, 19)
  return `<tr><td><a href="${href}">${text}</a></td><td>${size}</td><td>${date}</td></tr>`
}

/** Renders the listing of `dir`; `title` is the decoded request path shown to the user. */
export async function renderListing(dir: string, title: string): Promise<string> {
  const list = await entries(dir)
  const heading = `Index of ${escapeHtml(title)}`
  const parent = title === '/' ? '' : '<tr><td><a href="../">../</a></td><td></td><td></td></tr>'
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${heading}</title></head>` +
    `<body><h1>${heading}</h1><table><tr><th>Name</th><th>Size</th><th>Modified</th></tr>` +
    parent +
    list.map(row).join('') +
    '</table></body></html>\n'
  )
}
