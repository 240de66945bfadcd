import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import * as undici from 'undici'
import { Client, Pool } from '../../../src/core/undici-lite.ts'

test('the light imports are the very classes undici exports', () => {
  assert.equal(Pool, undici.Pool)
  assert.equal(Client, undici.Client)
})

test('without the full undici loaded, a light Client still has the request API', () => {
  // A fresh process: this file imports 'undici', which would install the API itself.
  const lite = new URL('../../../src/core/undici-lite.js', import.meta.url).href
  const script = `const { Client } = await import(${JSON.stringify(lite)})
    process.stdout.write(typeof Client.prototype.request)`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script])
  assert.equal(out.toString(), 'function')
})

test('a light Client sends a request', async () => {
  const server = createServer((_req, res) => res.end('ok'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const client = new Client(`http://127.0.0.1:${port}`)
  try {
    const res = await client.request({ path: '/', method: 'GET' })
    assert.equal(res.statusCode, 200)
    assert.equal(await res.body.text(), 'ok')
  } finally {
    await client.close()
    server.close()
  }
})
