/**
 * The environment of the hostile suite: the upstream fixtures, one pingap-ts process with the
 * short limits of the catalogue (§6), the canary and the resource readings. Every check ends
 * with `canary()`; the suite ends by comparing FDs and RSS with the baseline.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eventually } from '../../helpers/eventually.ts'
import { makeCert } from '../../helpers/certs.ts'
import { tables, type TomlValue } from '../../helpers/spec.ts'
import { startEvil, type Evil } from './evil.ts'
import { startBlackhole, startWsEcho, unusedPort, type Closable } from './fixtures.ts'
import { fdCount, rssMb, spawnProxy, type ProxyProcess } from './proxy.ts'
import { raw } from './raw.ts'
import { startRecorder, type Recorder } from './recorder.ts'

/** Health checks that never mark a backend down during the suite. */
export const NEVER_DOWN = 'tcp://probe?check_frequency=1h&failure=1000'

/** The catalogue's short limits (hostile-catalogue §6). */
export const LIMITS = {
  headerTimeoutMs: 1_000,
  bodyTimeoutMs: 2_000,
  writeIdleMs: 2_000,
  keepAliveMs: 2_000,
  maxUrl: 4_096,
  maxHeaderBytes: 8_192,
  maxHeaderCount: 100,
  uploadLimit: 64 * 1024,
} as const

export interface HostileEnv {
  readonly proxy: ProxyProcess
  /** The main server's port. */
  readonly port: number
  /** The same server with prior-knowledge h2c (`enabled_h2`). */
  readonly h2Port: number
  /** The same server over TLS (certificate for `a` by default, `b.test` by SNI). */
  readonly tlsPort: number
  /** Main recording upstream (every hostile request that may be forwarded goes here). */
  readonly rec: Recorder
  /** The canary's own upstream, so `rec` sees only what the checks caused. */
  readonly canaryUp: Recorder
  readonly evil: Evil
  /** A second evil instance for the keep-alive race, with its own pool. */
  readonly race: Evil
  readonly ws: Closable & { upgrades(): number; clients(): number }
  /** The directory plugin's root (`static.test`). */
  readonly staticRoot: string
  /** Undefined when Python is missing; then `blackholeSkip` says why. */
  readonly blackhole: Closable | undefined
  readonly blackholeSkip: string | undefined
  readonly baseline: { fds: number; rssMb: number }
  close(): Promise<void>
}

type Loc = Record<string, TomlValue | undefined>

function locations(): Record<string, Loc> {
  const loc = (extra: Loc): Loc => extra
  return {
    canary: loc({ host: 'canary.test', upstream: 'canary' }),
    'a-root': loc({ host: 'a', path: '/', upstream: 'rec', proxy_set_headers: ['x-loc: a-root'] }),
    'a-upload': loc({
      host: 'a',
      path: '/upload',
      upstream: 'rec',
      client_max_body_size: '64KiB',
    }),
    'a-mock': loc({ host: 'a', path: '/mock', plugins: ['mock200'] }),
    'a-redirect': loc({ host: 'a', path: '/redirect', plugins: ['toHttps'] }),
    'a-auth': loc({ host: 'a', path: '/auth', upstream: 'rec', plugins: ['auth'] }),
    'a-limited': loc({ host: 'a', path: '/limited', upstream: 'rec', plugins: ['none'] }),
    'b-root': loc({ host: 'b.test', upstream: 'rec', proxy_set_headers: ['x-loc: b-root'] }),
    evil: loc({ host: 'evil.test', upstream: 'evil' }),
    race: loc({ host: 'race.test', upstream: 'race' }),
    refused: loc({ host: 'refused.test', upstream: 'refused', max_retries: 0 }),
    blackhole: loc({ host: 'blackhole.test', upstream: 'blackhole' }),
    down: loc({ host: 'down.test', upstream: 'down' }),
    'g-admin': loc({ host: 'g.test', path: '/admin', plugins: ['deny'] }),
    'g-root': loc({ host: 'g.test', path: '/', upstream: 'rec' }),
    'i-auth': loc({ host: 'auth.test', path: '/private', upstream: 'rec', plugins: ['auth'] }),
    'i-open': loc({ host: 'auth.test', path: '/', upstream: 'rec' }),
    ws: loc({ host: 'ws.test', upstream: 'ws' }),
    wsplain: loc({ host: 'wsplain.test', upstream: 'rec' }),
    xff: loc({ host: 'xff.test', upstream: 'rec', enable_reverse_proxy_headers: true }),
    rw: loc({ host: 'rw.test', path: '/r/', upstream: 'rec', rewrite: '^/r/(.*)$ /$1' }),
    rate: loc({ host: 'rate.test', upstream: 'rec', plugins: ['perIp'] }),
    nxdomain: loc({ host: 'nxdomain.test', upstream: 'nxdomain' }),
    hunghealth: loc({ host: 'hunghealth.test', upstream: 'hunghealth' }),
    redos: loc({ host: 'redos.test', path: '~^/(a+)+$', upstream: 'rec' }),
    static: loc({ host: 'static.test', plugins: ['site'] }),
    cache: loc({ host: 'cache.test,cache2.test', upstream: 'rec', plugins: ['memcache'] }),
    gz: loc({ host: 'gz.test', upstream: 'rec', plugins: ['gz'] }),
  }
}

/** The static root of the directory rows (G2–G8, C8): files, a dotfile, an escaping symlink. */
function makeStaticRoot(): string {
  const base = mkdtempSync(join(tmpdir(), 'pingap-hostile-static-'))
  const root = join(base, 'root')
  mkdirSync(join(root, 'sub'), { recursive: true })
  mkdirSync(join(base, 'outside'))
  writeFileSync(join(root, 'f.txt'), 'static file\n')
  writeFileSync(join(root, '.env'), 'SECRET=1\n')
  writeFileSync(join(root, 'sub', 'index.html'), '<p>sub</p>\n')
  writeFileSync(join(base, 'outside', 'secret.txt'), 'outside the root\n')
  symlinkSync(join(base, 'outside'), join(root, 'link'))
  writeFileSync(join(root, 'big.bin'), '')
  truncateSync(join(root, 'big.bin'), 50 * 1024 * 1024)
  return root
}

const PLUGINS = `
[plugins.mock200]
category = "mock"
data = "mocked"

[plugins.deny]
category = "mock"
status = 403
data = "denied"

[plugins.toHttps]
category = "redirect"
http_to_https = true

[plugins.auth]
category = "basic_auth"
authorizations = ["YWRtaW46c2VjcmV0"]

[plugins.none]
category = "limit"
type = "inflight"
max = 0

[plugins.site]
category = "directory"
path = "STATIC_ROOT"
follow_symlinks = false

[plugins.memcache]
category = "cache"
namespace = "hostile"
lock = "2s"

[plugins.gz]
category = "compression"
gzip_level = 6

[plugins.perIp]
category = "limit"
type = "rate"
max = 2
interval = "1m"
`

/**
 * The main server's TOML (`web`), plus `h2`: the same with prior-knowledge h2c, and `tls`: the
 * same over TLS (h2 by ALPN) with the certificates of `certificatesToml`.
 */
export function serverToml(names: readonly string[], extra: Loc = {}): string {
  const limits: Loc = {
    locations: names,
    header_read_timeout: `${LIMITS.headerTimeoutMs}ms`,
    body_read_timeout: `${LIMITS.bodyTimeoutMs}ms`,
    keepalive_timeout: `${LIMITS.keepAliveMs}ms`,
    downstream_write_timeout: `${LIMITS.writeIdleMs}ms`,
    max_url_length: `${LIMITS.maxUrl}`,
    max_header_size: `${LIMITS.maxHeaderBytes}`,
    max_header_count: LIMITS.maxHeaderCount,
    ...extra,
  }
  return tables('servers', {
    web: { addr: '127.0.0.1:0', ...limits },
    h2: { addr: '127.0.0.1:0', enabled_h2: true, ...limits },
    tls: { addr: '127.0.0.1:0', enabled_h2: true, global_certificates: true, ...limits },
  })
}

/** A default certificate for `a` and one for `b.test`, made at start-up. */
async function certificatesToml(): Promise<string> {
  const [a, b] = await Promise.all([makeCert({ dns: ['a'] }), makeCert({ dns: ['b.test'] })])
  return tables('certificates', {
    a: { domains: 'a', tls_cert: a.cert, tls_key: a.key, is_default: true },
    b: { domains: 'b.test', tls_cert: b.cert, tls_key: b.key },
  })
}

/** Starts every fixture and the proxy; records the FD and RSS baseline after a warm-up. */
export async function startEnv(): Promise<HostileEnv> {
  const [rec, canaryUp, evil, race, ws, hole, refusedPort, downPort] = await Promise.all([
    startRecorder(),
    startRecorder(),
    startEvil(),
    startEvil(),
    startWsEcho(),
    startBlackhole(),
    unusedPort(),
    unusedPort(),
  ])
  const blackhole = typeof hole === 'string' ? undefined : hole
  const upstreams: Record<string, Loc> = {
    canary: { addrs: [canaryUp.addr], health_check: NEVER_DOWN, idle_timeout: '2s' },
    rec: { addrs: [rec.addr], health_check: NEVER_DOWN, idle_timeout: '2s' },
    evil: {
      addrs: [evil.addr],
      health_check: NEVER_DOWN,
      read_timeout: '1s',
      connection_timeout: '300ms',
      idle_timeout: '2s',
    },
    race: { addrs: [race.addr], health_check: NEVER_DOWN, idle_timeout: '1h' },
    refused: { addrs: [`127.0.0.1:${refusedPort}`], health_check: NEVER_DOWN },
    blackhole: {
      addrs: [blackhole?.addr ?? `127.0.0.1:${refusedPort}`],
      health_check: NEVER_DOWN,
      connection_timeout: '300ms',
    },
    down: {
      addrs: [`127.0.0.1:${downPort}`],
      health_check: 'tcp://probe?check_frequency=100ms&failure=1',
    },
    ws: { addrs: [ws.addr], health_check: NEVER_DOWN },
    nxdomain: { addrs: ['nxdomain.invalid:80'], health_check: NEVER_DOWN, discovery: 'static' },
    // A health endpoint that never answers, probed every 200 ms (E15: no pile-up).
    hunghealth: {
      addrs: [evil.addr],
      health_check:
        'http://evil.test/e/hang?check_frequency=200ms&connection_timeout=200ms&read_timeout=200ms',
    },
  }
  const names = Object.keys(locations())
  const staticRoot = makeStaticRoot()
  const proxy = await spawnProxy(
    {
      'servers.toml': serverToml(names),
      'locations.toml': tables('locations', locations()),
      'upstreams.toml': tables('upstreams', upstreams),
      'plugins.toml': PLUGINS.replace('STATIC_ROOT', staticRoot),
      'certificates.toml': await certificatesToml(),
    },
    { waitFor: ['web', 'h2', 'tls'] },
  )
  const port = proxy.ports.get('web') ?? 0
  const h2Port = proxy.ports.get('h2') ?? 0
  const tlsPort = proxy.ports.get('tls') ?? 0
  // Warm up: every pool the suite uses once, so lazily created things are in the baseline.
  for (let i = 0; i < 20; i++) await canaryOn(port)
  const baseline = { fds: fdCount(proxy.pid), rssMb: rssMb(proxy.pid) }
  return {
    proxy,
    port,
    h2Port,
    tlsPort,
    staticRoot,
    rec,
    canaryUp,
    evil,
    race,
    ws,
    blackhole,
    blackholeSkip: typeof hole === 'string' ? hole : undefined,
    baseline,
    async close() {
      await proxy.stop()
      rmSync(join(staticRoot, '..'), { recursive: true, force: true })
      const fixtures = [rec, canaryUp, evil, race, ws, blackhole]
      await Promise.all(fixtures.map((f) => f?.close() ?? Promise.resolve()))
    },
  }
}

/** One GET on a fresh connection that must answer 200 from the canary upstream quickly. */
export async function canaryOn(port: number, timeoutMs = 2_000): Promise<void> {
  const res = await raw(port, 'GET /canary HTTP/1.1\r\nHost: canary.test\r\n\r\n', {
    responses: 1,
    timeoutMs,
  })
  assert.equal(res.statuses[0], 200, `canary failed: ${JSON.stringify(res.text.slice(0, 200))}`)
}

/** The canary of the running env, also asserting the proxy is still alive. */
export async function canary(env: HostileEnv): Promise<void> {
  if (!env.proxy.alive()) {
    const last = env.proxy.logs
      .slice(-30)
      .map((l) => JSON.stringify(l))
      .join('\n')
    assert.fail(`the proxy process exited:\n${last}`)
  }
  await canaryOn(env.port)
}

/** Waits until the proxy's FD count is back within `slack` of the baseline. */
/**
 * The proxy's RSS once it is back within `slackMb` of the baseline. V8 returns heap pages to the
 * system some seconds after a burst (the suite's large bodies), so a single reading right after
 * the last test can be 60 MB high and still be no leak: the check polls, and fails with the
 * last reading when memory does not come back within `timeoutMs`.
 */
export async function rssSettle(
  env: HostileEnv,
  slackMb = 50,
  timeoutMs = 20_000,
): Promise<number> {
  return eventually(() => {
    const rss = rssMb(env.proxy.pid)
    assert.ok(
      rss - env.baseline.rssMb < slackMb,
      `RSS grew by ${(rss - env.baseline.rssMb).toFixed(1)} MB`,
    )
    return rss
  }, timeoutMs)
}

export async function fdsSettle(env: HostileEnv, slack = 10, timeoutMs = 10_000): Promise<number> {
  return eventually(() => {
    const fds = fdCount(env.proxy.pid)
    assert.ok(
      fds <= env.baseline.fds + slack,
      `fds ${fds} > baseline ${env.baseline.fds} + ${slack}`,
    )
    return fds
  }, timeoutMs)
}
