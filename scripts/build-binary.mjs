// Builds the single executable (ecosystem §3.2): esbuild bundles src/cli.ts and every
// dependency into one CommonJS file, Node's SEA support turns it (with the admin UI as assets)
// into a blob, and postject injects the blob into a copy of this node binary.
//
//   node scripts/build-binary.mjs [--out <dir>]      (default dist-sea/; run `npm run build` first)
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { inject } from 'postject'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outIndex = process.argv.indexOf('--out')
const out = resolve(outIndex > 0 ? process.argv[outIndex + 1] : join(root, 'dist-sea'))
const ui = join(root, 'dist', 'admin-ui')
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
const log = (text) => process.stdout.write(`build-binary: ${text}\n`)

if (!existsSync(join(ui, 'files.json'))) {
  throw new Error('dist/admin-ui is missing: run `npm run build` first')
}
if (!readFileSync(process.execPath).includes(FUSE)) {
  throw new Error(`${process.execPath} has no SEA fuse; use an official Node.js build`)
}
mkdirSync(out, { recursive: true })
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- our own package.json
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/**
 * A CommonJS bundle has no import.meta.url, so the version is compiled in.
 * @type {import('esbuild').Plugin}
 */
const staticVersion = {
  name: 'static-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]core[\\/]version\.ts$/ }, () => ({
      contents: `export const VERSION = ${JSON.stringify(version)}\n`,
      loader: 'ts',
    }))
  },
}

const bundle = join(out, 'pingap-ts.cjs')
await build({
  stdin: {
    contents: [
      "import { main } from './src/cli.ts'",
      'main(process.argv.slice(2)).then(',
      '  (code) => process.exit(code),',
      '  (err) => {',
      '    process.stderr.write(`error: ${err instanceof Error ? err.stack : String(err)}\\n`)',
      '    process.exit(1)',
      '  },',
      ')',
    ].join('\n'),
    resolveDir: root,
    sourcefile: 'sea-main.ts',
    loader: 'ts',
  },
  outfile: bundle,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  // ws loads these native helpers only when installed; they are optional.
  external: ['bufferutil', 'utf-8-validate'],
  plugins: [staticVersion],
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
})
log(`bundled ${bundle}`)

// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- written by build-ui.mjs
const files = JSON.parse(readFileSync(join(ui, 'files.json'), 'utf8'))
/** @type {Record<string, string>} */
const assets = { 'admin-ui/files.json': join(ui, 'files.json') }
for (const file of files) assets[`admin-ui/${String(file)}`] = join(ui, String(file))
const blob = join(out, 'sea-prep.blob')
const seaConfig = join(out, 'sea-config.json')
writeFileSync(
  seaConfig,
  JSON.stringify(
    {
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: false,
      assets,
    },
    null,
    2,
  ),
)
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' })

const binary = join(out, 'pingap-ts')
copyFileSync(process.execPath, binary)
chmodSync(binary, 0o755)
// eslint-disable-next-line @typescript-eslint/no-unsafe-call -- postject ships no types
await inject(binary, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: FUSE })
log(`wrote ${binary}`)
