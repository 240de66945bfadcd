import assert from 'node:assert/strict'
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { test } from 'node:test'
import { SignJWT } from 'jose'
import { ConfigError } from '../../../../src/core/errors.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

interface Pair {
  readonly privateKey: KeyObject
  readonly pem: string
}

function pair(type: 'rsa' | 'ec-256' | 'ec-384' | 'ed25519' | 'rsa-pss'): Pair {
  const keys =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'rsa-pss'
        ? generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
        : type === 'ed25519'
          ? generateKeyPairSync('ed25519')
          : generateKeyPairSync('ec', { namedCurve: type === 'ec-256' ? 'P-256' : 'P-384' })
  return {
    privateKey: keys.privateKey,
    pem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  }
}

const RSA = pair('rsa')
const now = (): number => Math.floor(Date.now() / 1000)

function sign(key: KeyObject, alg: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key)
}

const conf = (pem: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  category: 'jwt',
  header: 'Authorization',
  public_key: pem,
  ...extra,
})
const bearer = (t: string) => fakeContext({ headers: { authorization: `Bearer ${t}` } })

test('jwt public_key: every algorithm family verifies with its key type', async () => {
  const cases: Array<[Pair, string]> = [
    [RSA, 'RS256'],
    [RSA, 'RS384'],
    [RSA, 'RS512'],
    [RSA, 'PS256'],
    [RSA, 'PS512'],
    [RSA, 'PS384'],
    [pair('ec-256'), 'ES256'],
    [pair('ec-384'), 'ES384'],
    [pair('ed25519'), 'EdDSA'],
  ]
  for (const [keys, alg] of cases) {
    const p = plugin(conf(keys.pem))
    const good = await sign(keys.privateKey, alg, { sub: 'u', exp: now() + 60 })
    assert.equal(await request(p, bearer(good)), undefined, alg)
    const pinned = plugin(conf(keys.pem, { algorithm: alg }))
    assert.equal(await request(pinned, bearer(good)), undefined, `${alg} pinned`)
  }
})

test('jwt public_key: bad signatures, other keys and expired tokens get their 401 texts', async () => {
  const p = plugin(conf(RSA.pem))
  const other = pair('rsa')
  const past = await sign(RSA.privateKey, 'RS256', { exp: now() - 120 })
  const forged = await sign(other.privateKey, 'RS256', { exp: now() + 60 })
  const valid = await sign(RSA.privateKey, 'RS256', { exp: now() + 60 })
  const tampered = `${valid.slice(0, valid.lastIndexOf('.'))}.${'A'.repeat(342)}`
  const cases: Array<[string, string]> = [
    [past, 'Jwt authorization is expired'],
    [forged, 'Jwt authorization is invalid'],
    [tampered, 'Jwt authorization is invalid'],
    ['a.b', 'Jwt authorization format is invalid'],
    ['x.y.z', 'Jwt authorization is invalid'],
  ]
  for (const [token, want] of cases) {
    const res = await request(p, bearer(token))
    assert.equal(res?.status, 401, want)
    assert.equal(text(res), want)
  }
  assert.equal(text(await request(p, fakeContext())), 'Jwt authorization is missing')
})

test('jwt public_key: exp is required and has 60 s of leeway, as Pingap', async () => {
  const p = plugin(conf(RSA.pem))
  const noExp = await sign(RSA.privateKey, 'RS256', { sub: 'u' })
  assert.equal(text(await request(p, bearer(noExp))), 'Jwt authorization is invalid')
  const justPast = await sign(RSA.privateKey, 'RS256', { exp: now() - 30 })
  assert.equal(await request(p, bearer(justPast)), undefined)
})

test('jwt public_key: the algorithm is pinned (no HS256 with the public key as secret)', async () => {
  const p = plugin(conf(RSA.pem))
  const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ exp: now() + 60 })}`
  const confused = `${input}.${createHmac('sha256', RSA.pem).update(input).digest('base64url')}`
  assert.equal(text(await request(p, bearer(confused))), 'Jwt authorization is invalid')
  const pinned = plugin(conf(RSA.pem, { algorithm: 'RS256' }))
  const ps = await sign(RSA.privateKey, 'PS256', { exp: now() + 60 })
  assert.equal(text(await request(pinned, bearer(ps))), 'Jwt authorization is invalid')
  const unsigned = `${b64({ alg: 'none' })}.${b64({ exp: now() + 60 })}.`
  assert.equal(text(await request(p, bearer(unsigned))), 'Jwt authorization is invalid')
})

test('jwt public_key: a bad delay applies to invalid tokens only', async () => {
  const p = plugin(conf(RSA.pem, { delay: '50ms' }))
  const forged = await sign(pair('rsa').privateKey, 'RS256', { exp: now() + 60 })
  const started = performance.now()
  assert.equal(text(await request(p, bearer(forged))), 'Jwt authorization is invalid')
  assert.ok(performance.now() - started >= 45)
})

test('jwt public_key: no secret needed unless minting; minting signs with the secret', () => {
  assert.doesNotThrow(() => plugin(conf(RSA.pem)))
  assert.throws(
    () => plugin(conf(RSA.pem, { auth_path: '/login' }), 'j'),
    (err: unknown) => err instanceof ConfigError && err.path === 'plugins.j.secret',
  )
  const p = plugin(conf(RSA.pem, { auth_path: '/login', secret: 's' }))
  const ctx = fakeContext({ path: '/login' })
  const filter = p.onResponseBody?.(ctx, { status: 200, headers: {} })
  assert.equal(typeof filter, 'function')
  const out = (filter as (c: Buffer, e: boolean) => Buffer | null)(Buffer.from('{"a":1}'), true)
  const minted = (JSON.parse(String(out)) as { token: string }).token
  const [header] = minted.split('.')
  assert.equal(JSON.parse(Buffer.from(header!, 'base64url').toString()).alg, 'HS256')
  assert.equal(
    minted.split('.')[2],
    createHmac('sha256', 's').update(minted.split('.').slice(0, 2).join('.')).digest('base64url'),
  )
})

test('jwt public_key: unreadable keys and algorithms the key cannot verify are config errors', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [conf('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'), 'plugins.j.public_key'],
    [conf(RSA.pem, { algorithm: 'ES256' }), 'plugins.j.algorithm'],
    [conf(RSA.pem, { algorithm: 'HS256', secret: 's' }), 'plugins.j.algorithm'],
    [conf(pair('ec-256').pem, { algorithm: 'ES384' }), 'plugins.j.algorithm'],
    [conf(RSA.pem, { jwks_url: 'https://x.test/jwks' }), 'plugins.j.jwks_url'],
    // jose cannot use RSA-PSS-only keys (Node exports no JWK for them): refused at load.
    [conf(pair('rsa-pss').pem), 'plugins.j.public_key'],
  ]
  for (const [raw, path] of cases) {
    assert.throws(
      () => plugin(raw, 'j'),
      (err: unknown) => err instanceof ConfigError && err.path === path,
      path,
    )
  }
})
