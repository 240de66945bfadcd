/**
 * The admin API against the real binary (docs/admin.md): every route, each error status (401,
 * 403 lock-out, 412, 422, 428), concurrent editors, rollback, an invalid change that leaves the
 * running config and the files untouched, and secrets redacted everywhere.
 */
/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- the API's JSON bodies are checked by the assertions themselves */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { join, relative } from 'node:path'
import { after, before, test } from 'node:test'
import { eventually } from '../helpers/eventually.ts'
import { request } from '../helpers/http.ts'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const USER = 'admin'
const PASSWORD = 'correct-horse'
const JWT_SECRET = 'jwt-Secret-Value-0042'
const BASIC_CRED = Buffer.from('ops:Basic-Secret-0042').toString('base64')
const SECRETS = [JWT_SECRET, BASIC_CRED, 'Basic-Secret-0042', PASSWORD]

interface Res {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies, checked by assertions
  readonly json: any
}

interface CallOptions {
  readonly method?: string
  readonly headers?: Record<string, string>
  readonly body?: unknown
  /** `false` for none, a string for a raw Authorization value; default Basic admin. */
  readonly auth?: false | string
  readonly localAddress?: string
}

const basic = (user: string, pass: string): string =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`

function call(base: string, path: string, options: CallOptions = {}): Promise<Res> {
  const url = new URL(path, base)
  const headers: Record<string, string> = { ...options.headers }
  if (options.auth !== false) headers['authorization'] = options.auth ?? basic(USER, PASSWORD)
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Every .toml file of the conf dir with its content. */
function confFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      if (name.startsWith('.')) continue
      const full = join(d, name)
      if (statSync(full).isDirectory()) walk(full)
      else if (name.endsWith('.toml')) out[relative(dir, full)] = readFileSync(full, 'utf8')
    }
  }
  walk(dir)
  return out
}

/** Collects the admin event stream. */
function listen(base: string): { text: () => string; close: () => void } {
  let text = ''
  const url = new URL('/api/v1/events', base)
  const req = httpRequest({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    headers: { authorization: basic(USER, PASSWORD) },
    agent: false,
  })
  req.on('response', (res) => res.on('data', (c: Buffer) => (text += c.toString())))
  req.on('error', () => undefined)
  req.end()
  return { text: () => text, close: () => req.destroy() }
}

let pingap: Pingap
let admin: string
let web: string
let upA: TestUpstream
let upB: TestUpstream
let events: ReturnType<typeof listen>

const HAND_WRITTEN = (portA: number): string => `# hand-written by the ops team
[upstreams.a]
addrs = ["127.0.0.1:${portA}"]

# the main site
[locations.app]
upstream = "a"
path = "/"

[servers.web]
addr = "127.0.0.1:0"
locations = ["app"]

[plugins.jwtcheck]
category = "jwt"
header = "Authorization"
secret = "${JWT_SECRET}"

[plugins.guard]
category = "basic_auth"
authorizations = ["${BASIC_CRED}"]
`

before(async () => {
  upA = await startUpstream(undefined, 'a')
  upB = await startUpstream(undefined, 'b')
  pingap = await startPingap(
    { 'pingap.toml': HAND_WRITTEN(upA.port) },
    {
      args: ['--autoreload', '--admin', `${USER}:${PASSWORD}@127.0.0.1:0?ip_fail_limit=6`],
      env: { PINGAP_WATCH_POLL: '1' },
      waitFor: ['web', 'pingap:admin'],
    },
  )
  admin = pingap.servers.get('pingap:admin') as string
  web = pingap.servers.get('web') as string
  events = listen(admin)
})

after(async () => {
  events.close()
  await pingap.stop()
  await upA.close()
  await upB.close()
})

async function etagOf(path: string): Promise<string> {
  const res = await call(admin, path)
  assert.equal(res.status, 200, res.text)
  return res.headers.etag as string
}

test('authentication: 401, Host check, Basic, bearer, signed tokens, sessions with CSRF', async () => {
  assert.equal((await call(admin, '/api/v1/config', { auth: false })).status, 401)
  const wrong = await call(admin, '/api/v1/config', { auth: basic(USER, 'nope') })
  assert.equal(wrong.status, 401)
  assert.equal(wrong.json.code, 'PGT_ERR_ADMIN_UNAUTHORIZED')
  const evil = await call(admin, '/api/v1/config', { headers: { host: 'evil.example:80' } })
  assert.equal(evil.status, 403)
  assert.equal(
    (await call(admin, '/api/v1/config', { headers: { host: 'localhost' } })).status,
    200,
  )

  // Pingap's signed form: hex(sha256("user:pass:ts")):ts
  const ts = Math.floor(Date.now() / 1000)
  const token = createHash('sha256').update(`${USER}:${PASSWORD}:${ts}`).digest('hex')
  assert.equal((await call(admin, '/api/v1/config', { auth: `${token}:${ts}` })).status, 200)
  const old = ts - 3 * 86_400
  const stale = createHash('sha256').update(`${USER}:${PASSWORD}:${old}`).digest('hex')
  assert.equal((await call(admin, '/api/v1/config', { auth: `${stale}:${old}` })).status, 401)

  const badLogin = await call(admin, '/api/v1/login', {
    method: 'POST',
    auth: false,
    body: { user: USER, password: 'x' },
  })
  assert.equal(badLogin.status, 401)
  const login = await call(admin, '/api/v1/login', {
    method: 'POST',
    auth: false,
    body: { user: USER, password: PASSWORD, token: true },
  })
  assert.equal(login.status, 200, login.text)
  const setCookie = String(login.headers['set-cookie'])
  assert.match(setCookie, /pingap_admin=[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/)
  const cookie = setCookie.split(';')[0] as string
  const csrf = login.json.csrfToken as string
  assert.equal(typeof csrf, 'string')

  const session = await call(admin, '/api/v1/session', { auth: false, headers: { cookie } })
  assert.equal(session.json.user, USER)
  assert.equal(session.json.csrfToken, csrf)
  // A cookie write needs the CSRF token; Basic and bearer writes do not.
  const hashBody = { password: 'a-long-password' }
  const noCsrf = await call(admin, '/api/v1/password-hash', {
    method: 'POST',
    auth: false,
    headers: { cookie },
    body: hashBody,
  })
  assert.equal(noCsrf.status, 403)
  assert.match(noCsrf.json.message, /CSRF/)
  const withCsrf = await call(admin, '/api/v1/password-hash', {
    method: 'POST',
    auth: false,
    headers: { cookie, 'x-csrf-token': csrf },
    body: hashBody,
  })
  assert.equal(withCsrf.status, 200)
  assert.match(withCsrf.json.hash, /^scrypt\$/)
  const bearer = await call(admin, '/api/v1/password-hash', {
    method: 'POST',
    auth: `Bearer ${login.json.token as string}`,
    body: hashBody,
  })
  assert.equal(bearer.status, 200)
  // A form post (what a cross-site page can send) is refused.
  const form = await call(admin, '/api/v1/password-hash', {
    method: 'POST',
    body: 'password=aaaaaaaaaa',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  assert.equal(form.status, 415)

  const logout = await call(admin, '/api/v1/logout', {
    method: 'POST',
    auth: false,
    headers: { cookie, 'x-csrf-token': csrf },
  })
  assert.equal(logout.status, 200)
  assert.equal(
    (await call(admin, '/api/v1/session', { auth: false, headers: { cookie } })).status,
    401,
  )
})

test('reads: the config, a category and an item with ETags, TOML, schema, 404s', async () => {
  const config = await call(admin, '/api/v1/config')
  assert.equal(config.status, 200)
  assert.match(config.headers.etag as string, /^"\d+-[0-9a-f]{12}"$/)
  assert.equal(
    config.headers['x-config-version'],
    (config.headers.etag as string).slice(1).split('-')[0],
  )
  assert.deepEqual(Object.keys(config.json.upstreams), ['a'])
  const toml = await call(admin, '/api/v1/config?format=toml')
  assert.match(toml.headers['content-type'] as string, /application\/toml/)
  assert.match(toml.text, /\[upstreams\.a\]/)

  const category = await call(admin, '/api/v1/config/upstreams')
  assert.equal(category.headers.etag, config.headers.etag)
  assert.equal(category.json.a.addrs[0], upA.addr)
  const singular = await call(admin, '/api/v1/config/upstream/a')
  const item = await call(admin, '/api/v1/config/upstreams/a')
  assert.deepEqual(singular.json, item.json)
  assert.match(item.headers.etag as string, /^"item-[0-9a-f]{12}"$/)
  const itemToml = await call(admin, '/api/v1/config/upstreams/a?format=toml')
  assert.equal(itemToml.text.trim(), `addrs = [ "${upA.addr}" ]`)
  assert.equal((await call(admin, '/api/v1/config/basic')).status, 200)

  assert.equal((await call(admin, '/api/v1/config/upstreams/nope')).status, 404)
  assert.equal((await call(admin, '/api/v1/config/widgets')).status, 404)
  assert.equal((await call(admin, '/api/v1/nothing')).status, 404)
  assert.equal((await call(admin, '/api/v1/config/versions/999')).status, 404)
  assert.equal((await call(admin, '/api/v1/status')).json.current.etag, config.headers.etag)
  const schema = await call(admin, '/api/v1/schema')
  assert.equal(schema.json.categories.upstreams.keys.addrs.kind, 'string[]')
  assert.ok(schema.json.pluginCategories.includes('jwt'))
  const ui = await call(admin, '/', { auth: false })
  assert.equal(ui.status, 200)
  assert.match(ui.text, /<div id="app">/)
  // The first load (HTML, script, stylesheet) stays far below 200 KB gzipped.
  let bytes = 0
  for (const file of ['/', '/app.js', '/app.css']) {
    const res = await call(admin, file, { auth: false, headers: { 'accept-encoding': 'gzip' } })
    assert.equal(res.status, 200, file)
    bytes += Number(res.headers['content-length'])
    if (file === '/app.js') assert.equal(res.headers['content-encoding'], 'gzip')
  }
  assert.ok(bytes < 200 * 1024, `${bytes} bytes`)
})

test('an invalid change gets 422 with every issue and changes neither the running config nor the files', async () => {
  const before = confFiles(pingap.dir)
  const etag = await etagOf('/api/v1/config')
  const res = await call(admin, '/api/v1/config/upstreams/a', {
    method: 'PUT',
    headers: { 'if-match': etag },
    body: { addrs: ['not a valid addr'], colour: 'blue' },
  })
  assert.equal(res.status, 422, res.text)
  const paths = (res.json.issues as Array<{ path: string; code: string }>).map((i) => i.path)
  assert.ok(paths.includes('upstreams.a.colour'), res.text)
  assert.ok(paths.includes('upstreams.a.addrs'), res.text)
  const toml = await call(admin, '/api/v1/config/locations/app', {
    method: 'PUT',
    headers: { 'if-match': etag, 'content-type': 'application/toml' },
    body: 'upstream = "a"\npath = "/"\nrewrite = "^/(.*) /$1"\n[[broken',
  })
  assert.equal(toml.status, 422, toml.text)
  assert.equal(toml.json.issues[0].line, 4)
  assert.deepEqual(confFiles(pingap.dir), before)
  assert.equal(await etagOf('/api/v1/config'), etag)
  assert.equal((await request(web, '/x')).body, 'a GET /x')
})

test('preconditions: 428 without If-Match, 412 with a stale one', async () => {
  const body = { addrs: [upA.addr], remark: 'x' }
  const none = await call(admin, '/api/v1/config/upstreams/a', { method: 'PUT', body })
  assert.equal(none.status, 428)
  assert.equal(none.json.code, 'PGT_ERR_ADMIN_PRECONDITION_REQUIRED')
  const stale = await call(admin, '/api/v1/config/upstreams/a', {
    method: 'PUT',
    headers: { 'if-match': '"1-000000000000"' },
    body,
  })
  assert.equal(stale.status, 412)
  assert.equal(stale.json.code, 'PGT_ERR_CONFIG_CONFLICT')
  assert.equal(stale.json.current.etag, await etagOf('/api/v1/config'))
  const create = await call(admin, '/api/v1/config/upstreams/a', {
    method: 'PUT',
    headers: { 'if-none-match': '*' },
    body,
  })
  assert.equal(create.status, 412, 'If-None-Match: * refuses an existing item')
})

test('add an upstream and a location: traffic reaches it; PATCH; referenced DELETE is refused', async () => {
  const created = await call(admin, '/api/v1/config/upstreams/b', {
    method: 'PUT',
    headers: { 'if-none-match': '*' },
    body: { addrs: [upB.addr] },
  })
  assert.equal(created.status, 201, created.text)
  assert.equal(created.json.status, 'applied')
  assert.deepEqual(created.json.diff, [{ op: 'add', path: 'upstreams.b' }])
  assert.equal(
    readFileSync(join(pingap.dir, 'upstreams', 'b.toml'), 'utf8'),
    `[upstreams.b]\naddrs = [ "${upB.addr}" ]\n`,
  )
  const location = await call(admin, '/api/v1/config/locations/bee', {
    method: 'PUT',
    headers: { 'if-match': created.json.etag },
    body: { upstream: 'b', path: '/bee' },
  })
  assert.equal(location.status, 201, location.text)
  const server = await call(admin, '/api/v1/config/servers/web', {
    method: 'PATCH',
    headers: { 'if-match': await etagOf('/api/v1/config/servers/web') },
    body: { locations: ['app', 'bee'] },
  })
  assert.equal(server.status, 200, server.text)
  assert.equal(server.headers.etag, await etagOf('/api/v1/config/servers/web'))
  assert.equal((await request(web, '/bee/1')).body, 'b GET /bee/1')
  assert.equal((await request(web, '/other')).body, 'a GET /other')
  // The hand-written file lost only the edited item's table; its comments stay.
  const hand = readFileSync(join(pingap.dir, 'pingap.toml'), 'utf8')
  assert.match(hand, /# hand-written by the ops team/)
  assert.match(hand, /# the main site/)
  assert.doesNotMatch(hand, /\[servers\.web\]/)

  const refused = await call(admin, '/api/v1/config/upstreams/b', {
    method: 'DELETE',
    headers: { 'if-match': await etagOf('/api/v1/config') },
  })
  assert.equal(refused.status, 422)
  assert.equal(refused.json.issues[0].path, 'locations.bee.upstream')
  assert.match(refused.json.issues[0].message, /locations\.bee\.upstream still refers to/)
})

test('two concurrent editors of one item: one gets 412, the retry keeps both changes', async () => {
  const etag = await etagOf('/api/v1/config/upstreams/b')
  const edit = (remark: string): Promise<Res> =>
    call(admin, '/api/v1/config/upstreams/b', {
      method: 'PATCH',
      headers: { 'if-match': etag, 'content-type': 'application/merge-patch+json' },
      body: { remark },
    })
  const [one, two] = await Promise.all([edit('by one'), edit('by two')])
  const statuses = [one.status, two.status].sort()
  assert.deepEqual(statuses, [200, 412], `${one.text} ${two.text}`)
  const loser = one.status === 412 ? 'by one' : 'by two'
  const retry = await call(admin, '/api/v1/config/upstreams/b', {
    method: 'PATCH',
    headers: { 'if-match': await etagOf('/api/v1/config/upstreams/b') },
    body: { sni: 'b.example' },
  })
  assert.equal(retry.status, 200)
  const item = (await call(admin, '/api/v1/config/upstreams/b')).json
  assert.equal(item.sni, 'b.example')
  assert.equal(item.remark, loser === 'by one' ? 'by two' : 'by one')

  // Different items with item ETags: both succeed although the version moved.
  const etagA = await etagOf('/api/v1/config/upstreams/a')
  const etagB = await etagOf('/api/v1/config/upstreams/b')
  const [a, b] = await Promise.all([
    call(admin, '/api/v1/config/upstreams/a', {
      method: 'PATCH',
      headers: { 'if-match': etagA },
      body: { remark: 'edited a' },
    }),
    call(admin, '/api/v1/config/upstreams/b', {
      method: 'PATCH',
      headers: { 'if-match': etagB },
      body: { remark: 'edited b' },
    }),
  ])
  assert.deepEqual([a.status, b.status], [200, 200], `${a.text} ${b.text}`)
  const config = (await call(admin, '/api/v1/config')).json
  assert.equal(config.upstreams.a.remark, 'edited a')
  assert.equal(config.upstreams.b.remark, 'edited b')
})

test('validate, publish a set of changes at once, import TOML', async () => {
  const invalid = await call(admin, '/api/v1/config/validate', {
    method: 'POST',
    body: {
      patches: [{ op: 'put', category: 'locations', name: 'x', value: { upstream: 'none' } }],
    },
  })
  assert.equal(invalid.status, 200)
  assert.equal(invalid.json.valid, false)
  assert.equal(invalid.json.issues[0].code, 'PGT_ERR_CONFIG_REF')
  const valid = await call(admin, '/api/v1/config/validate', {
    method: 'POST',
    body: { patches: [{ op: 'patch', category: 'basic', value: { threads: 1, name: 'edge' } }] },
  })
  assert.equal(valid.json.valid, true, valid.text)
  assert.deepEqual(valid.json.requiresRestart, ['basic.threads'])
  assert.deepEqual(valid.json.diff.map((d: { path: string }) => d.path).sort(), [
    'basic.name',
    'basic.threads',
  ])

  const etag = await etagOf('/api/v1/config')
  const versionsBefore = (await call(admin, '/api/v1/config/versions')).json.versions.length
  const published = await call(admin, '/api/v1/config/publish', {
    method: 'POST',
    headers: { 'if-match': etag },
    body: {
      message: 'two at once',
      patches: [
        { op: 'put', category: 'upstreams', name: 'c', value: { addrs: [upB.addr] } },
        { op: 'put', category: 'locations', name: 'sea', value: { upstream: 'c', path: '/sea' } },
        {
          op: 'patch',
          category: 'servers',
          name: 'web',
          value: { locations: ['app', 'bee', 'sea'] },
        },
      ],
    },
  })
  assert.equal(published.status, 200, published.text)
  assert.equal(published.json.version.message, 'two at once')
  const versions = (await call(admin, '/api/v1/config/versions')).json.versions
  assert.equal(versions.length, versionsBefore + 1, 'one version for the whole set')
  assert.equal((await request(web, '/sea')).body, 'b GET /sea')
  const stale = await call(admin, '/api/v1/config/publish', {
    method: 'POST',
    body: { baseVersion: 1, patches: [] },
  })
  assert.equal(stale.status, 412)

  const current = (await call(admin, '/api/v1/config?format=toml')).text
  const imported = current.replace(/remark = "edited a"/, 'remark = "imported"')
  const res = await call(admin, '/api/v1/config/import', {
    method: 'POST',
    headers: { 'if-match': await etagOf('/api/v1/config'), 'content-type': 'application/toml' },
    body: imported,
  })
  assert.equal(res.status, 200, res.text)
  assert.equal(res.json.version.source, 'import')
  assert.deepEqual(res.json.diff, [{ op: 'replace', path: 'upstreams.a.remark' }])
  // The redacted secrets came back as placeholders and kept their values.
  assert.match(readFileSync(join(pingap.dir, 'pingap.toml'), 'utf8'), new RegExp(JWT_SECRET))

  const basicPatch = await call(admin, '/api/v1/config/basic', {
    method: 'PATCH',
    headers: { 'if-match': await etagOf('/api/v1/config') },
    body: { name: 'edge' },
  })
  assert.equal(basicPatch.status, 200, basicPatch.text)
  assert.equal(readFileSync(join(pingap.dir, 'basic.toml'), 'utf8'), '[basic]\nname = "edge"\n')
  const basicPut = await call(admin, '/api/v1/config/basic', {
    method: 'PUT',
    headers: { 'if-match': basicPatch.headers.etag as string, 'content-type': 'application/toml' },
    body: 'name = "edge2"\n',
  })
  assert.equal(basicPut.status, 200, basicPut.text)
  assert.equal((await call(admin, '/api/v1/config/basic')).json.name, 'edge2')
})

test('versions: list, show, diff and rollback (a new version with the old content)', async () => {
  const list = await call(admin, '/api/v1/config/versions?limit=100')
  const versions = list.json.versions as Array<{ number: number; source: string }>
  assert.equal(versions[0]?.number, list.json.current)
  const first = versions.at(-1)?.number as number
  const shown = await call(admin, `/api/v1/config/versions/${first}`)
  assert.equal(shown.json.meta.number, first)
  assert.deepEqual(Object.keys(shown.json.config.upstreams), ['a'])
  const diff = await call(
    admin,
    `/api/v1/config/versions/${list.json.current}/diff?against=${first}`,
  )
  assert.ok(diff.json.items.some((i: { path: string }) => i.path === 'upstreams.b'))
  assert.match(diff.json.unified, /\+\+\+ v\d+\/upstreams\.b/)

  const rollback = await call(admin, '/api/v1/config/rollback', {
    method: 'POST',
    headers: { 'if-match': list.json.etag },
    body: { targetVersion: first, message: 'back to the start' },
  })
  assert.equal(rollback.status, 200, rollback.text)
  assert.equal(rollback.json.version.rollbackOf, first)
  assert.equal(rollback.json.version.number, list.json.current + 1)
  const config = (await call(admin, '/api/v1/config')).json
  assert.deepEqual(config, shown.json.config)
  await eventually(async () => assert.equal((await request(web, '/bee')).body, 'a GET /bee'))
  assert.equal(confFiles(pingap.dir)['upstreams/b.toml'], undefined)
  const staleRollback = await call(admin, '/api/v1/config/rollback', {
    method: 'POST',
    headers: { 'if-match': list.json.etag },
    body: { targetVersion: first },
  })
  assert.equal(staleRollback.status, 412)
})

test('status, and file edits through the watcher: applied, rejected, no duplicate of own writes', async () => {
  const status = await call(admin, '/api/v1/config/status')
  assert.equal(status.status, 200)
  assert.equal(status.json.lastRejected, null)
  assert.equal(status.json.current.etag, await etagOf('/api/v1/config'))
  assert.deepEqual(status.json.upstreams[0].backends, [{ address: upA.addr, healthy: true }])
  assert.ok(status.json.listeners.some((l: { server: string }) => l.server === 'web'))
  assert.equal(status.json.nodes[0].appliedVersion, status.json.current.number)

  const before = status.json.current.number as number
  pingap.writeConf('upstreams/z.toml', `[upstreams.z]\naddrs = ["127.0.0.1:1"]\n`)
  const applied = await eventually(async () => {
    const s = await call(admin, '/api/v1/config/status')
    assert.equal(s.json.current.number, before + 1)
    return s.json.current
  }, 15_000)
  assert.equal(applied.source, 'file-change')
  assert.equal(applied.author.kind, 'file')

  pingap.writeConf('upstreams/z.toml', `[upstreams.z]\naddrs = ["127.0.0.1:1"]\nbogus = 1\n`)
  const rejected = await eventually(async () => {
    const s = await call(admin, '/api/v1/config/status')
    assert.notEqual(s.json.lastRejected, null)
    return s.json
  }, 15_000)
  assert.match(rejected.lastRejected.errors[0], /upstreams\.z\.bogus/)
  assert.equal(rejected.current.number, before + 1, 'the running version did not move')
  // The broken file blocks API writes too, naming the file.
  const blocked = await call(admin, '/api/v1/config/upstreams/y', {
    method: 'PUT',
    headers: { 'if-none-match': '*' },
    body: { addrs: ['127.0.0.1:2'] },
  })
  assert.equal(blocked.status, 422)
  assert.match(blocked.text, /bogus/)
  // Repair through the API: the item's own file is replaced.
  const repaired = await call(admin, '/api/v1/config/upstreams/z', {
    method: 'PUT',
    headers: { 'if-match': await etagOf('/api/v1/config/upstreams/z') },
    body: { addrs: ['127.0.0.1:3'] },
  })
  assert.equal(repaired.status, 200, repaired.text)
  const own = repaired.json.version.number as number
  // An external edit after our own write comes next, with nothing in between.
  pingap.writeConf('upstreams/w.toml', `[upstreams.w]\naddrs = ["127.0.0.1:4"]\n`)
  await eventually(async () => {
    const s = await call(admin, '/api/v1/config/status')
    assert.equal(s.json.current.changes.join(), '+upstreams.w')
  }, 15_000)
  const list = (await call(admin, '/api/v1/config/versions?limit=3')).json.versions
  assert.deepEqual(
    list.slice(0, 2).map((v: { number: number; source: string }) => [v.number, v.source]),
    [
      [own + 1, 'file-change'],
      [own, 'admin-api'],
    ],
  )
})

test('audit: logins, failures, conflicts, rejections and publishes, filterable', async () => {
  const all = (await call(admin, '/api/v1/audit?limit=500')).json.entries as Array<{
    action: string
    actor: string
    result: string
    ip?: string
  }>
  const actions = new Set(all.map((e) => e.action))
  for (const a of [
    'auth.login',
    'auth.failed',
    'auth.logout',
    'config.publish',
    'config.conflict',
    'config.rejected',
    'config.rollback',
    'config.import',
  ]) {
    assert.ok(actions.has(a), `${a} in ${[...actions].join()}`)
  }
  assert.ok(
    all.some((e) => e.action === 'config.publish' && e.actor === USER && e.ip === '127.0.0.1'),
  )
  assert.ok(all.some((e) => e.action === 'config.publish' && e.actor === 'file'))
  const filtered = (await call(admin, '/api/v1/audit?action=config.rollback')).json.entries
  assert.ok(filtered.length >= 1)
  assert.ok(filtered.every((e: { action: string }) => e.action === 'config.rollback'))
})

test('secrets are redacted in the API, TOML, versions, diffs, audit and events', async () => {
  const plugin = await call(admin, '/api/v1/config/plugins/jwtcheck')
  assert.match(plugin.json.secret, /^<redacted sha256:[0-9a-f]{12}>$/)
  // Sending the placeholder back keeps the secret; a wrong placeholder is refused.
  const kept = await call(admin, '/api/v1/config/plugins/jwtcheck', {
    method: 'PUT',
    headers: { 'if-match': plugin.headers.etag as string },
    body: { ...plugin.json, remark: 'kept' },
  })
  assert.equal(kept.status, 200, kept.text)
  const changed = await call(admin, '/api/v1/config/plugins/jwtcheck', {
    method: 'PATCH',
    headers: { 'if-match': kept.headers.etag as string },
    body: { secret: 'a-new-jwt-secret-value' },
  })
  assert.equal(changed.status, 200, changed.text)
  const wrong = await call(admin, '/api/v1/config/plugins/jwtcheck', {
    method: 'PATCH',
    headers: { 'if-match': changed.headers.etag as string },
    body: { secret: plugin.json.secret },
  })
  assert.equal(wrong.status, 422)
  const versions = (await call(admin, '/api/v1/config/versions?limit=500')).json.versions as Array<{
    number: number
  }>
  const texts = [
    (await call(admin, '/api/v1/config')).text,
    (await call(admin, '/api/v1/config?format=toml')).text,
    (await call(admin, '/api/v1/config/plugins')).text,
    (await call(admin, '/api/v1/config/plugins/guard?format=toml')).text,
    (await call(admin, '/api/v1/audit?limit=1000')).text,
    JSON.stringify(versions),
  ]
  for (const v of versions) {
    texts.push((await call(admin, `/api/v1/config/versions/${v.number}`)).text)
    texts.push((await call(admin, `/api/v1/config/versions/${v.number}/diff`)).text)
  }
  await eventually(() => assert.match(events.text(), /event: version\.published/))
  texts.push(events.text())
  for (const text of texts) {
    for (const secret of [...SECRETS, 'a-new-jwt-secret-value']) {
      assert.ok(!text.includes(secret), `secret leaked in ${text.slice(0, 200)}`)
    }
  }
  assert.match(
    readFileSync(join(pingap.dir, 'plugins', 'jwtcheck.toml'), 'utf8'),
    /a-new-jwt-secret-value/,
  )
})

test('lock-out: 403 "Forbidden, too many failures" after ip_fail_limit failures from one address', async () => {
  const from = '127.0.0.2'
  for (let i = 0; i < 6; i++) {
    const res = await call(admin, '/api/v1/config', {
      auth: basic(USER, 'bad'),
      localAddress: from,
    })
    assert.equal(res.status, 401)
  }
  const locked = await call(admin, '/api/v1/config', { localAddress: from })
  assert.equal(locked.status, 403)
  assert.equal(locked.json.message, 'Forbidden, too many failures')
  // Good credentials do not help; another address is not affected.
  assert.equal((await call(admin, '/', { auth: false, localAddress: from })).status, 403)
  assert.equal((await call(admin, '/api/v1/config')).status, 200)
  const audit = (await call(admin, '/api/v1/audit?action=auth.locked')).json.entries
  assert.equal(audit[0].ip, from)
})

test('a broken config at start-up with --admin: empty config, repaired through the API (env, base64, mount)', async (t) => {
  const up = await startUpstream(undefined, 'fixed')
  t.after(() => up.close())
  const credentials = Buffer.from('ops:env-password').toString('base64')
  const broken = await startPingap(
    {
      'pingap.toml': `[locations.app]\nupstream = "missing"\n\n[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["app"]\n`,
    },
    {
      env: { PINGAP_ADMIN_ADDR: `${credentials}@127.0.0.1:0/mgmt` },
      waitFor: ['pingap:admin'],
    },
  )
  t.after(() => broken.stop())
  const base = broken.servers.get('pingap:admin') as string
  const auth = basic('ops', 'env-password')
  const redirect = await call(base, '/mgmt?x=1', { auth: false })
  assert.equal(redirect.status, 307)
  assert.equal(redirect.headers.location, '/mgmt/?x=1')
  assert.equal((await call(base, '/api/v1/config', { auth })).status, 404, 'outside the mount')
  const status = await call(base, '/mgmt/api/v1/config/status', { auth })
  assert.equal(status.status, 200, status.text)
  assert.match(status.json.lastRejected.errors.join(), /missing/)
  assert.deepEqual(status.json.listeners, [])
  const etag = (await call(base, '/mgmt/api/v1/config', { auth })).headers.etag as string
  const fixed = await call(base, '/mgmt/api/v1/config/publish', {
    method: 'POST',
    auth,
    headers: { 'if-match': etag },
    body: {
      patches: [{ op: 'put', category: 'upstreams', name: 'missing', value: { addrs: [up.addr] } }],
    },
  })
  assert.equal(fixed.status, 200, fixed.text)
  const web2 = await eventually(() => {
    const addr = broken.servers.get('web')
    assert.ok(addr !== undefined)
    return addr
  })
  assert.equal((await request(web2, '/')).body, 'fixed GET /')
  assert.equal((await call(base, '/mgmt/api/v1/config/status', { auth })).json.lastRejected, null)
})
