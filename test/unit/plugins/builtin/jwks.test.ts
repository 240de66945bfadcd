import assert from 'node:assert/strict'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { exportJWK, SignJWT, type JWK } from 'jose'
import { JwksCache } from '../../../../src/plugins/builtin/jwks-cache.ts'
import { fakeContext } from '../../../helpers/fake-context.ts'
import { plugin, request, text } from './support.ts'

interface Key {
  readonly kid: string
  readonly privateKey: KeyObject
  readonly jwk: JWK
}

async function key(kid: string, type: 'rsa' | 'ed25519' = 'rsa'): Promise<Key> {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ed25519')
  return { kid, privateKey: pair.privateKey, jwk: { ...(await exportJWK(pair.publicKey)), kid } }
}

function sign(k: Key, alg = 'RS256', withKid = true): Promise<string> {
  const header = withKid ? { alg, kid: k.kid } : { alg }
  return new SignJWT({ sub: 'u', exp: Math.floor(Date.now() / 1000) + 60 })
    .setProtectedHeader(header)
    .sign(k.privateKey)
}

/** A JWKS server whose key list and health the tests change. */
let server: Server
let url: string
let served: JWK[] = []
let healthy = true
let hits = 0

before(async () => {
  server = createServer((_req, res) => {
    hits++
    if (!healthy) {
      res.writeHead(503).end('down')
      return
    }
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys: served }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
})
after(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

function reset(keys: readonly Key[]): void {
  served = keys.map((k) => k.jwk)
  healthy = true
  hits = 0
}

const bearer = (t: string) => fakeContext({ headers: { authorization: `Bearer ${t}` } })

test('jwks_url: tokens signed by a listed key pass, RSA and EdDSA; no kid or an unknown one fails', async () => {
  const rsa = await key('r1')
  const ed = await key('e1', 'ed25519')
  reset([rsa, ed])
  const p = plugin({ category: 'jwt', header: 'Authorization', jwks_url: url })
  try {
    assert.equal(await request(p, bearer(await sign(rsa))), undefined)
    assert.equal(await request(p, bearer(await sign(ed, 'EdDSA'))), undefined)
    const noKid = await sign(rsa, 'RS256', false)
    assert.equal(text(await request(p, bearer(noKid))), 'Jwt authorization is invalid')
    const stranger = await key('nobody')
    assert.equal(
      text(await request(p, bearer(await sign(stranger)))),
      'Jwt authorization is invalid',
    )
    // A listed kid with a foreign signature.
    const impostor = await sign({ ...stranger, kid: 'r1' })
    assert.equal(text(await request(p, bearer(impostor))), 'Jwt authorization is invalid')
  } finally {
    await p.close?.()
  }
})

test('jwks_url: `algorithm` pins the accepted algorithm', async () => {
  const rsa = await key('r1')
  reset([rsa])
  const p = plugin({ category: 'jwt', header: 'Authorization', jwks_url: url, algorithm: 'PS256' })
  try {
    assert.equal(text(await request(p, bearer(await sign(rsa)))), 'Jwt authorization is invalid')
    assert.equal(await request(p, bearer(await sign(rsa, 'PS256'))), undefined)
  } finally {
    await p.close?.()
  }
})

test('JWKS cache: one fetch serves many requests, start() prefetches', async () => {
  const rsa = await key('r1')
  reset([rsa])
  const p = plugin({ category: 'jwt', header: 'Authorization', jwks_url: url })
  try {
    p.start?.()
    const token = await sign(rsa)
    const results = await Promise.all(Array.from({ length: 20 }, () => request(p, bearer(token))))
    assert.deepEqual(new Set(results), new Set([undefined]))
    assert.equal(hits, 1)
  } finally {
    await p.close?.()
  }
})

test('JWKS cache: past the TTL stale keys serve while the refresh runs; a failed refresh keeps them', async () => {
  const rsa = await key('r1')
  reset([rsa])
  let clock = 0
  const cache = new JwksCache({ url, ttlMs: 60_000, now: () => clock })
  try {
    const token = await sign(rsa)
    const parts = token.split('.')
    const flattened = { protected: parts[0]!, payload: parts[1]!, signature: parts[2]! }
    const header = { alg: 'RS256', kid: 'r1' }
    await cache.resolve(header, flattened)
    assert.equal(cache.fetches, 1)
    // Past the TTL with the JWKS server down: the old key still answers.
    healthy = false
    clock = 61_000
    await cache.resolve(header, flattened)
    await cache.refresh() // joins the background refresh
    assert.equal(cache.failures, 1)
    await cache.resolve(header, flattened)
    // Within the cooldown (min(ttl, 10 s)) no new attempt is made.
    const before = hits
    clock = 65_000
    await cache.resolve(header, flattened)
    assert.equal(hits, before)
    // After the cooldown, with the server back, the set is refreshed.
    healthy = true
    clock = 72_000
    assert.equal(await cache.refresh(), true)
    assert.equal(cache.fetches, 2)
  } finally {
    await cache.close()
  }
})

test('JWKS cache: an unknown kid refetches (a rotated key), at most once per cooldown', async () => {
  const old = await key('old')
  const next = await key('new')
  reset([old])
  let clock = 0
  const cache = new JwksCache({ url, ttlMs: 3_600_000, now: () => clock })
  try {
    const flat = (t: string) => {
      const [p, q, s] = t.split('.')
      return { protected: p!, payload: q!, signature: s! }
    }
    await cache.resolve({ alg: 'RS256', kid: 'old' }, flat(await sign(old)))
    served = [old.jwk, next.jwk]
    // Inside the cooldown the rotated key is not fetched yet.
    clock = 5_000
    await assert.rejects(cache.resolve({ alg: 'RS256', kid: 'new' }, flat(await sign(next))))
    assert.equal(hits, 1)
    clock = 10_000
    await cache.resolve({ alg: 'RS256', kid: 'new' }, flat(await sign(next)))
    assert.equal(hits, 2)
    // A flood of unknown kids costs one fetch per cooldown.
    const bogus = flat(await sign({ ...next, kid: 'bogus' }))
    clock = 20_000
    await Promise.all(
      Array.from({ length: 10 }, () =>
        assert.rejects(cache.resolve({ alg: 'RS256', kid: 'bogus' }, bogus)),
      ),
    )
    assert.equal(hits, 3)
  } finally {
    await cache.close()
  }
})

test('JWKS cache: a server that never answered leaves no keys, and the plugin answers 401', async () => {
  reset([])
  healthy = false
  const rsa = await key('r1')
  const p = plugin({ category: 'jwt', header: 'Authorization', jwks_url: url })
  try {
    assert.equal(text(await request(p, bearer(await sign(rsa)))), 'Jwt authorization is invalid')
  } finally {
    await p.close?.()
  }
})
