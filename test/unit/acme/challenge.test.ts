import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { answerChallenge, storedKeyAuthorization } from '../../../src/acme/challenge.ts'
import type { PingapConfig } from '../../../src/config/types.ts'
import { HTTP01_TOKEN_REMARK } from '../../../src/tls/index.ts'

const config = {
  storages: {
    tok_1: { category: 'config', value: 'tok_1.thumb', remark: HTTP01_TOKEN_REMARK },
    secret: { category: 'secret', value: 'ciphertext' },
    fragment: { category: 'config', value: 'x = 1' },
  },
} as unknown as PingapConfig

test('storedKeyAuthorization serves only tokens the ACME task stored', () => {
  const cases: Array<[string, string | undefined]> = [
    ['tok_1', 'tok_1.thumb'],
    ['secret', undefined],
    ['fragment', undefined],
    ['missing', undefined],
    ['../etc', undefined],
    ['', undefined],
    ['__proto__', undefined],
  ]
  for (const [token, want] of cases)
    assert.equal(storedKeyAuthorization(config, token), want, token)
})

test('answerChallenge answers before routing: 200, 404, or not a challenge', async () => {
  const server = createServer((req, res) => {
    if (!answerChallenge(config, req, res)) res.end('routed')
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const get = (path: string, method = 'GET') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      req.on('error', reject)
      req.end()
    })
  try {
    assert.deepEqual(await get('/.well-known/acme-challenge/tok_1'), {
      status: 200,
      body: 'tok_1.thumb',
    })
    assert.equal((await get('/.well-known/acme-challenge/nope')).status, 404)
    assert.equal((await get('/.well-known/acme-challenge/a.b')).status, 404)
    assert.equal((await get('/.well-known/acme-challenge/secret')).status, 404)
    assert.equal((await get('/.well-known/acme-challenge/tok_1', 'POST')).body, 'routed')
    assert.equal((await get('/other')).body, 'routed')
  } finally {
    server.close()
  }
})
