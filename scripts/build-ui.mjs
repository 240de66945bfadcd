// Builds the admin web UI (src/admin/ui) into dist/admin-ui: one minified ES module, one
// stylesheet and index.html, plus files.json (the list the single executable embeds).
import { build } from 'esbuild'
import {
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import process from 'node:process'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src', 'admin', 'ui')
const out = join(root, 'dist', 'admin-ui')

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
await build({
  entryPoints: [join(src, 'main.jsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome111', 'firefox111', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
})
copyFileSync(join(src, 'index.html'), join(out, 'index.html'))
const files = readdirSync(out).filter((f) => statSync(join(out, f)).isFile())
writeFileSync(join(out, 'files.json'), `${JSON.stringify(files)}\n`)
const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(out, f))).length, 0)
process.stdout.write(`admin UI: ${files.join(', ')} (${(gzipped / 1024).toFixed(1)} KB gzipped)\n`)
