import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { test } from 'node:test'
import { ConfigError } from '../../../../src/core/errors.ts'
import { hmacJwtStreamSigner, signHmacJwt } from '../../../../src/plugins/builtin/jwt-hmac.ts'
import { applyBodyFilters, collectBodyFilters } from '../../../../src/plugins/chains.ts'
import type { BodyFilter, BodyPlugin } from '../../../../src/plugins/types.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { head, plugin, request, text } from './support.ts'

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

function token(claims: unknown, secret = 'secret', alg = 'HS256'): string {
  const input = `${b64({ alg, typ: 'JWT' })}.${b64(claims)}`
  const digest = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg] ?? 'sha256'
  return `${input}.${createHmac(digest, secret).update(input).digest('base64url')}`
}

const CONF = { category: 'jwt', header: 'Authorization', secret: 'secret', auth_path: '/login' }
const bearer = (t: string) => fakeContext({ headers: { authorization: `Bearer ${t}` } })

test('jwt: missing, malformed, forged and expired tokens get their 401 texts', async () => {
  const p = plugin(CONF)
  const past = Math.floor(Date.now() / 1000) - 10
  const cases: Array<[ReturnType<typeof fakeContext>, string]> = [
    [fakeContext(), 'Jwt authorization is missing'],
    [bearer('a.b'), 'Jwt authorization format is invalid'],
    [bearer(token({ id: 1 }, 'other')), 'Jwt authorization is invalid'],
    [bearer(token({ id: 1 }, 'secret', 'none')), 'Jwt authorization is invalid'],
    [bearer(token({ id: 1, exp: past })), 'Jwt authorization is expired'],
  ]
  for (const [ctx, want] of cases) {
    const res = await request(p, ctx)
    assert.equal(res?.status, 401, want)
    assert.equal(text(res), want)
  }
})

test('jwt: a valid token passes (HS256, HS384, HS512; with or without a future exp)', async () => {
  const p = plugin(CONF)
  const future = Math.floor(Date.now() / 1000) + 60
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    assert.equal(await request(p, bearer(token({ id: 1 }, 'secret', alg))), undefined, alg)
  }
  assert.equal(await request(p, bearer(token({ id: 1, exp: future }))), undefined)
  const only512 = plugin({ ...CONF, algorithm: 'HS512' })
  assert.equal(
    text(await request(only512, bearer(token({ id: 1 })))),
    'Jwt authorization is invalid',
  )
})

test('jwt reads tokens from a cookie or the query', async () => {
  const t = token({ id: 2 })
  const byCookie = plugin({ category: 'jwt', cookie: 'jwt', secret: 'secret' })
  assert.equal(await request(byCookie, fakeContext({ headers: { cookie: `jwt=${t}` } })), undefined)
  const byQuery = plugin({ category: 'jwt', query: 'token', secret: 'secret' })
  assert.equal(await request(byQuery, fakeContext({ query: `token=${t}` })), undefined)
})

test('jwt mints a token from the upstream claims on auth_path', async () => {
  const p = plugin(CONF)
  const ctx = fakeContext({
    method: 'POST',
    path: '/login',
    headers: { 'accept-encoding': 'gzip' },
  })
  assert.equal(await request(p, ctx), undefined)
  assert.equal(ctx.headers['accept-encoding'], undefined)
  const h = head(200, { 'content-type': 'application/json', 'content-length': '8' })
  await p.onResponse!(ctx, h)
  assert.equal(h.headers['content-length'], undefined)
  assert.equal(h.headers['content-type'], 'application/json; charset=utf-8')
  // jwt's body hook is a synchronous filter.
  const filters = collectBodyFilters([p as BodyPlugin], ctx, h, 'response') as BodyFilter[]
  // The token streams out as the claims arrive: the first chunk already yields output.
  const first = applyBodyFilters(filters, Buffer.from('{"id"'), false)
  assert.ok(first !== null && first.toString().startsWith('{"token":"'))
  const last = applyBodyFilters(filters, Buffer.from(':1}'), true)!
  const body = JSON.parse(Buffer.concat([first, last]).toString()) as { token: string }
  const [header, payload] = body.token.split('.')
  assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), {
    alg: 'HS256',
    typ: 'JWT',
  })
  assert.deepEqual(JSON.parse(Buffer.from(payload!, 'base64url').toString()), { id: 1 })
  // The minted token is accepted by the same plugin.
  assert.equal(await request(p, bearer(body.token)), undefined)
})

test('jwt does not mint for error responses or other paths', async () => {
  const p = plugin(CONF)
  const login = fakeContext({ path: '/login' })
  assert.equal(p.onResponseBody!(login, head(401)), undefined)
  assert.equal(p.onResponseBody!(fakeContext({ path: '/other' }), head(200)), undefined)
  const h = head(401, { 'content-length': '3' })
  await p.onResponse!(login, h)
  assert.equal(h.headers['content-length'], '3')
})

test('jwt refuses configs it cannot honour', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ secret: 's' }, 'plugins.j.header'],
    [{ header: 'authorization' }, 'plugins.j.secret'],
    [{ header: 'authorization', secret: 's', algorithm: 'RS256' }, 'plugins.j.algorithm'],
    [{ header: 'authorization', secret: 's', algorithm: 'HS1' }, 'plugins.j.algorithm'],
    [{ header: 'authorization', jwks_url: 'ftp://x.test/jwks' }, 'plugins.j.jwks_url'],
    [{ header: 'authorization', jwks_url: 'not a url' }, 'plugins.j.jwks_url'],
    [{ header: 'authorization', secret: 's', jwks_ttl: '1m' }, 'plugins.j.jwks_ttl'],
    [
      { header: 'authorization', jwks_url: 'https://x.test/jwks', jwks_ttl: '0s' },
      'plugins.j.jwks_ttl',
    ],
    [
      { header: 'authorization', jwks_url: 'https://x.test/jwks', algorithm: 'HS256' },
      'plugins.j.algorithm',
    ],
    // Minting signs with the HMAC secret, so auth_path needs one in every mode.
    [
      { header: 'authorization', jwks_url: 'https://x.test/jwks', auth_path: '/login' },
      'plugins.j.secret',
    ],
    [{ header: 'authorization', secret: 's', delay: 'soon' }, 'plugins.j.delay'],
    [{ header: 'authorization', secret: 's', issuer: 'x' }, 'plugins.j.issuer'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin({ category: 'jwt', ...raw }, 'j'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      JSON.stringify(raw),
    )
  }
})

test('the streaming signer gives the same bytes as signing the whole body, for any chunking', () => {
  const claims = Buffer.from(JSON.stringify({ id: 1, name: 'ünïcode', pad: 'x'.repeat(1000) }))
  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    const whole = Buffer.from(JSON.stringify({ token: signHmacJwt(alg, 'k', claims) }))
    for (const size of [1, 2, 3, 4, 5, 7, 64, 999, claims.length]) {
      const sign = hmacJwtStreamSigner(alg, 'k')
      const out: Buffer[] = []
      for (let i = 0; i < claims.length; i += size) {
        const piece = sign(claims.subarray(i, i + size), false)
        if (piece !== null) out.push(piece)
        // Never more than the input's base64 plus the fixed prefix: nothing piles up.
        assert.ok((piece?.length ?? 0) <= Math.ceil(((size + 2) * 4) / 3) + 64)
      }
      out.push(sign(Buffer.alloc(0), true) ?? Buffer.alloc(0))
      assert.deepEqual(Buffer.concat(out), whole, `${alg} in chunks of ${size}`)
    }
    const empty = hmacJwtStreamSigner(alg, 'k')(Buffer.alloc(0), true)
    assert.deepEqual(
      empty,
      Buffer.from(JSON.stringify({ token: signHmacJwt(alg, 'k', Buffer.alloc(0)) })),
    )
  }
})
