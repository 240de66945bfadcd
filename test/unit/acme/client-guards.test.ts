import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import acme from 'acme-client'
import {
  allowNonceRetries,
  checkDirectory,
  clearOrderError,
} from '../../../src/acme/client-guards.ts'
import { closedPort } from '../../helpers/upstreams.ts'

test('allowNonceRetries raises the badNonce retries of a real acme-client Client', async () => {
  const client = new acme.Client({
    directoryUrl: 'https://127.0.0.1:1/dir',
    accountKey: await acme.crypto.createPrivateEcdsaKey(),
  })
  const http = (client as unknown as { http: { maxBadNonceRetries: number } }).http
  // If acme-client renames the field, this fails instead of the setting silently vanishing.
  assert.equal(http.maxBadNonceRetries, 5)
  allowNonceRetries(client)
  assert.equal(http.maxBadNonceRetries, 10)
})

test('checkDirectory fails at once, naming the cause, when the CA is down', async () => {
  const url = `http://127.0.0.1:${await closedPort()}/dir`
  const started = Date.now()
  await assert.rejects(checkDirectory(url), (err: Error) => {
    assert.match(
      err.message,
      /^the ACME directory http:\/\/127\.0\.0\.1:\d+\/dir cannot be reached: ECONNREFUSED/,
    )
    return true
  })
  assert.ok(Date.now() - started < 5_000)
})

test('checkDirectory names the status of a CA that answers with an error', async () => {
  const server = createServer((_req, res) => {
    res.statusCode = 503
    res.end('down for maintenance')
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const { port } = server.address() as AddressInfo
    await assert.rejects(checkDirectory(`http://127.0.0.1:${port}/dir`), /answered HTTP 503$/)
    const ok = createServer((_req, res) => res.end('{}')).listen(0, '127.0.0.1')
    await once(ok, 'listening')
    await checkDirectory(`http://127.0.0.1:${(ok.address() as AddressInfo).port}/dir`)
    ok.close()
  } finally {
    server.close()
  }
})

test('checkDirectory gives up on a CA that accepts the connection but never answers', async () => {
  const server = createServer(() => undefined).listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const { port } = server.address() as AddressInfo
    await assert.rejects(
      checkDirectory(`http://127.0.0.1:${port}/dir`, 200),
      /cannot be reached: The operation was aborted due to timeout$/,
    )
  } finally {
    server.closeAllConnections()
    server.close()
  }
})

test("clearOrderError explains acme-client's TypeError and keeps every other error", () => {
  const typeError = new TypeError("Cannot read properties of undefined (reading 'config')")
  const cleared = clearOrderError(typeError) as Error
  assert.match(cleared.message, /stopped answering during the order/)
  assert.equal(cleared.cause, typeError)
  const other = new Error('urn:ietf:params:acme:error:rejectedIdentifier')
  assert.equal(clearOrderError(other), other)
})
