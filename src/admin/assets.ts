/**
 * The embedded web UI: `index.html`, `app.js`, `app.css` built by `npm run build:ui` into
 * `dist/admin-ui/`, or, inside the single executable, read from its SEA assets
 * (`admin-ui/<file>`). Each file is kept in memory with a gzip copy and an ETag; the HTML is
 * never cached (it names the current script), the rest is cached for a day.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { logger } from '../core/logger.ts'

const log = logger.child({ module: 'admin' })

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
}

/** One UI file ready to send. */
export interface UiAsset {
  readonly type: string
  readonly body: Buffer
  /** Set when gzip makes the file smaller. */
  readonly gzip: Buffer | undefined
  readonly etag: string
  readonly cacheControl: string
}

function asset(name: string, body: Buffer): UiAsset {
  const type = TYPES[extname(name)] ?? 'application/octet-stream'
  const gz = body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16)
  return {
    type,
    body,
    gzip: gz !== undefined && gz.length < body.length ? gz : undefined,
    etag: `"${digest}"`,
    cacheControl: type.startsWith('text/html') ? 'no-cache' : 'public, max-age=86400',
  }
}

/** Names of the asset files kept in SEA assets, listed by the build in `admin-ui/files.json`. */
async function fromSea(): Promise<Map<string, UiAsset> | undefined> {
  try {
    const sea = await import('node:sea')
    if (!sea.isSea()) return undefined
    const names = JSON.parse(sea.getAsset('admin-ui/files.json', 'utf8')) as string[]
    const out = new Map<string, UiAsset>()
    for (const name of names) {
      out.set(name, asset(name, Buffer.from(sea.getAsset(`admin-ui/${name}`))))
    }
    return out
  } catch {
    return undefined
  }
}

function defaultDirs(): string[] {
  const dirs: string[] = []
  const env = process.env['PINGAP_ADMIN_UI_DIR']
  if (env !== undefined && env !== '') dirs.push(env)
  try {
    // dist/admin/assets.js → dist/admin-ui; the test build (.build/src/admin) → dist/admin-ui.
    dirs.push(fileURLToPath(new URL('../admin-ui/', import.meta.url)))
    dirs.push(fileURLToPath(new URL('../../../dist/admin-ui/', import.meta.url)))
  } catch {
    // a CommonJS bundle has no import.meta.url; the SEA assets are used there
  }
  return dirs
}

function fromDir(dir: string): Map<string, UiAsset> {
  const out = new Map<string, UiAsset>()
  for (const name of readdirSync(dir)) {
    if (TYPES[extname(name)] !== undefined)
      out.set(name, asset(name, readFileSync(join(dir, name))))
  }
  return out
}

const MISSING_HTML = `<!doctype html><meta charset="utf-8"><title>pingap-ts admin</title>
<p>The admin web UI is not built. Run <code>npm run build</code> (or <code>npm run build:ui</code>).
The API is available under <code>api/v1/</code>.</p>`

/** The UI files, by name (`index.html`, `app.js`, ...). */
export class UiAssets {
  readonly #files: ReadonlyMap<string, UiAsset>

  constructor(files: ReadonlyMap<string, UiAsset>) {
    this.#files = files
  }

  /** Loads the UI from the SEA assets, `dir`, or the default build locations. */
  static async load(dir?: string): Promise<UiAssets> {
    const sea = await fromSea()
    if (sea !== undefined) return new UiAssets(sea)
    for (const candidate of dir !== undefined ? [dir] : defaultDirs()) {
      if (existsSync(join(candidate, 'index.html'))) return new UiAssets(fromDir(candidate))
    }
    log.warn('the admin web UI is not built; serving a placeholder page')
    return new UiAssets(new Map([['index.html', asset('index.html', Buffer.from(MISSING_HTML))]]))
  }

  /** The file for a path below the mount (`/` and unknown non-file paths give index.html). */
  get(path: string): UiAsset | undefined {
    const name = path.replace(/^\/+/, '')
    if (name === '' || name === 'index.html') return this.#files.get('index.html')
    return this.#files.get(name)
  }
}
