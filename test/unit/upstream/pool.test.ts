import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { poolSettings, upstreamOptions } from '../../../src/upstream/options.ts'
import { createPool, originFor } from '../../../src/upstream/pool.ts'
import { dispatchRequest } from '../../helpers/dispatch-request.ts'

const settingsFor = (conf: Record<string, unknown> = {}): ReturnType<typeof poolSettings> => {
  const full = { addrs: ['a'], ...conf }
  return poolSettings(full, {}, upstreamOptions(full, 'app'), 'app')
}

test('originFor builds http and https origins', () => {
  assert.equal(originFor('10.0.0.1:80', false), 'http://10.0.0.1:80')
  assert.equal(originFor('[::1]:443', true), 'https://[::1]:443')
})

test('a pool reuses keep-alive connections for sequential requests', async () => {
  const sockets = new Set<unknown>()
  const server = createServer((req, res) => {
    sockets.add(req.socket)
    res.end(`saw ${req.url}`)
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const pool = createPool(
    originFor(`127.0.0.1:${(server.address() as AddressInfo).port}`, false),
    settingsFor(),
  )
  try {
    for (let i = 0; i < 10; i++) {
      const res = await dispatchRequest(pool, { method: 'GET', path: `/r${i}` })
      assert.equal(await res.body.text(), `saw /r${i}`)
    }
    // undici may open a second connection when a request is sent before the previous one's
    // connection has been marked free; it never opens one per request.
    assert.ok(sockets.size <= 2, String(sockets.size))
  } finally {
    await pool.close()
    server.close()
  }
})

test('read_timeout bounds the wait for the response head', async () => {
  const server = createServer(() => undefined).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const pool = createPool(
    originFor(`127.0.0.1:${(server.address() as AddressInfo).port}`, false),
    settingsFor({ read_timeout: '100ms' }),
  )
  try {
    await assert.rejects(dispatchRequest(pool, { method: 'GET', path: '/' }), {
      code: 'UND_ERR_HEADERS_TIMEOUT',
    })
  } finally {
    await pool.destroy()
    server.closeAllConnections()
    server.close()
  }
})

test('alpn = "h2" without TLS speaks prior-knowledge h2c and shares a connection', async () => {
  const { createServer: createH2 } = await import('node:http2')
  const sessions = new Set<unknown>()
  const versions: string[] = []
  const server = createH2((req, res) => {
    sessions.add(req.stream.session)
    versions.push(req.httpVersion)
    res.end('ok')
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const pool = createPool(
    originFor(`127.0.0.1:${(server.address() as AddressInfo).port}`, false),
    settingsFor({ alpn: 'h2', max_h2_streams: 8 }),
  )
  try {
    // Connect first: requests sent while the connection is being made each open their own.
    await (await dispatchRequest(pool, { method: 'GET', path: '/warm' })).body.text()
    const bodies = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const res = await dispatchRequest(pool, { method: 'GET', path: `/r${i}` })
        return res.body.text()
      }),
    )
    assert.deepEqual(new Set(bodies), new Set(['ok']))
    assert.deepEqual(new Set(versions), new Set(['2.0']))
    assert.equal(sessions.size, 1, 'streams share one connection')
  } finally {
    await pool.close()
    server.close()
  }
})
