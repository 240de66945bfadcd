/**
 * Compatibility suite (issue 11): Pingap's own example configurations, copied unchanged from
 * /work/shared/compat/pingap-examples into a temp dir at test time, pass `pingap-ts -t`; the
 * ones that can run locally start with their listen addresses moved to 127.0.0.1:0 and their
 * upstream addresses moved to a local test upstream, and serve a request as Pingap would.
 */
import assert from 'node:assert/strict'
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { parse, stringify } from 'smol-toml'
import { request } from '../helpers/http.ts'
import { runPingap, startPingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const EXAMPLES = '/work/shared/compat/pingap-examples'
const HAVE_EXAMPLES = existsSync(EXAMPLES)
const SKIP = HAVE_EXAMPLES ? false : `${EXAMPLES} is not present`

type Table = Record<string, unknown>

/** The TOML files of one example (a directory's *.toml, or a single file). */
function exampleFiles(rel: string): string[] {
  const path = join(EXAMPLES, rel)
  if (rel.endsWith('.toml')) return [path]
  return readdirSync(path)
    .filter((f) => f.endsWith('.toml'))
    .map((f) => join(path, f))
}

/** Copies an example unchanged into a fresh temp dir; returns the dir. */
function copyExample(rel: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pingap-compat-'))
  for (const file of exampleFiles(rel)) copyFileSync(file, join(dir, basename(file)))
  return dir
}

/** Every example merged into one table per file name (for rewriting before a start). */
function readExample(rel: string): Record<string, Table> {
  const out: Record<string, Table> = {}
  for (const file of exampleFiles(rel)) out[basename(file)] = parse(readFileSync(file, 'utf8'))
  return out
}

/** Moves every listen address to 127.0.0.1:0 and every upstream to `addr`. */
function rewrite(files: Record<string, Table>, addr: string, dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, doc] of Object.entries(files)) {
    for (const server of Object.values((doc['servers'] ?? {}) as Record<string, Table>)) {
      server['addr'] = '127.0.0.1:0'
    }
    for (const upstream of Object.values((doc['upstreams'] ?? {}) as Record<string, Table>)) {
      upstream['addrs'] = [addr]
      delete upstream['discovery']
      delete upstream['sni']
    }
    // The cache examples point at /opt/pingap/cache: keep the test inside its temp dir.
    for (const plugin of Object.values((doc['plugins'] ?? {}) as Record<string, Table>)) {
      const directory = plugin['directory']
      if (typeof directory === 'string') {
        const query = directory.includes('?') ? directory.slice(directory.indexOf('?')) : ''
        plugin['directory'] = `${join(dir, 'cache')}${query}`
      }
    }
    out[name] = stringify(doc)
  }
  return out
}

interface Expectation {
  readonly example: string
  /** undefined: `-t` passes; otherwise the one error it must report. */
  readonly error?: RegExp
  readonly why?: string
}

const CHECKS: readonly Expectation[] = [
  {
    example: 'conf',
    // Pingap reads the stats plugin's `path`; its sample writes `value`, which Pingap ignores.
    error: /plugins\.performanceStats\.value: unknown key "value", did you mean `path`\?/,
  },
  { example: 'examples/api-gateway' },
  { example: 'examples/grpc-web' },
  { example: 'examples/static-serve' },
  // Its `is_ca` certificate is not a CA: accepted with a warning, as Pingap accepts it.
  { example: 'examples/transparent-proxy' },
  { example: 'examples/web-socket' },
  { example: 'benches/pingap.toml' },
]

describe('Pingap example configurations: pingap-ts -t', { skip: SKIP }, () => {
  for (const check of CHECKS) {
    test(check.example, async () => {
      const dir = copyExample(check.example)
      try {
        const target = check.example.endsWith('.toml') ? join(dir, basename(check.example)) : dir
        const result = await runPingap(['-t', '-c', target])
        const output = `${result.stdout}\n${result.stderr}`
        if (check.error === undefined) {
          assert.equal(result.code, 0, output)
          assert.match(result.stdout, /is valid/, output)
        } else {
          assert.notEqual(result.code, 0, output)
          assert.match(output, check.error)
          const errors = output.split('\n').filter((l) => /^error/i.test(l))
          assert.equal(errors.length, 1, `only the expected error: ${output}`)
        }
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
  }

  test('conf with the stats plugin key corrected passes (admin plugin included)', async () => {
    const dir = copyExample('conf')
    try {
      const plugins = readFileSync(join(dir, 'plugins.toml'), 'utf8')
      const fixed = plugins.replace(/^value = "\/stats"$/m, 'path = "/stats"')
      writeFileSync(join(dir, 'plugins.toml'), fixed)
      const result = await runPingap(['-t', '-c', dir])
      assert.equal(result.code, 0, result.stderr)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('Pingap example configurations served locally', { skip: SKIP }, () => {
  let upstream: TestUpstream
  const temp: string[] = []

  before(async () => {
    upstream = await startUpstream(undefined, 'local')
  })
  after(async () => {
    await upstream.close()
    for (const dir of temp) rmSync(dir, { recursive: true, force: true })
  })

  /** Starts an example rewritten for this host; returns the base URL of its first server. */
  async function serve(rel: string): Promise<{ base: string; stop: () => Promise<unknown> }> {
    const cacheDir = mkdtempSync(join(tmpdir(), 'pingap-compat-cache-'))
    temp.push(cacheDir)
    const files = rewrite(readExample(rel), upstream.addr, cacheDir)
    const names = Object.values(readExample(rel)).flatMap((doc) =>
      Object.keys((doc['servers'] ?? {}) as Table),
    )
    const pingap = await startPingap(files, { waitFor: names })
    const base = pingap.servers.get(names[0] ?? '')
    assert.ok(base !== undefined)
    return { base, stop: () => pingap.stop() }
  }

  test('api-gateway: basic auth and key auth with rewrites and proxy headers', async () => {
    const { base, stop } = await serve('examples/api-gateway')
    try {
      const denied = await request(base, '/api/charts/list')
      assert.equal(denied.status, 401)
      const auth = `Basic ${Buffer.from('pingap:123123').toString('base64')}`
      const charts = await request(base, '/api/charts/list', { headers: { authorization: auth } })
      assert.equal(charts.status, 200, charts.body)
      assert.equal(charts.body, 'local GET /list')
      const seen = upstream.seen.at(-1)
      assert.equal(seen?.headers['authorization'], undefined, 'hide_credentials')
      assert.equal(seen?.headers['x-forwarded-for'], '127.0.0.1')
      assert.match(String(charts.headers['x-request-id']), /./)

      const noKey = await request(base, '/api/orders/1')
      assert.equal(noKey.status, 401)
      const orders = await request(base, '/api/orders/1?key=U8nCkeA9U4')
      assert.equal(orders.status, 200, orders.body)
      assert.equal(orders.body, 'local GET /1', 'the key query parameter is hidden')

      const common = await request(base, '/anything?x=1')
      assert.equal(common.status, 200)
      assert.equal(common.body, 'local GET /anything?x=1')
    } finally {
      await stop()
    }
  })

  test('static-serve: the cached location proxies to its upstream', async () => {
    const { base, stop } = await serve('examples/static-serve')
    try {
      const res = await request(base, '/file.txt')
      assert.equal(res.status, 200)
      assert.equal(res.body, 'local GET /file.txt')
    } finally {
      await stop()
    }
  })

  test('web-socket: the static location proxies plain HTTP', async () => {
    const { base, stop } = await serve('examples/web-socket')
    try {
      const res = await request(base, '/index.html')
      assert.equal(res.status, 200)
      assert.equal(res.body, 'local GET /index.html')
    } finally {
      await stop()
    }
  })

  test('benches: the mock plugin answers /api/test, the rest goes upstream', async () => {
    const { base, stop } = await serve('benches/pingap.toml')
    try {
      const mock = await request(base, '/api/test')
      assert.equal(mock.status, 200)
      assert.equal(mock.headers['content-type'], 'application/json')
      assert.equal(mock.headers['cache-control'], 'public, max-age=60')
      assert.equal(JSON.parse(mock.body).status, 'ok')
      const other = await request(base, '/other')
      assert.equal(other.body, 'local GET /other')
    } finally {
      await stop()
    }
  })
})
