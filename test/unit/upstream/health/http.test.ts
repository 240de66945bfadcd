import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { httpChecker } from '../../../../src/upstream/health/http.ts'
import { parseHealthCheck } from '../../../../src/upstream/health/parse.ts'

test('http check: 200 is healthy, 500 is not; path, query and Host come from the URL', async () => {
  const seen: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = []
  let status = 200
  const server = createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers })
    res.statusCode = status
    res.end('x'.repeat(10_000))
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const checker = httpChecker(parseHealthCheck('http://charts.test/ping?success=2&v=1'))
  const signal = new AbortController().signal
  try {
    await checker.check({ host: '127.0.0.1', port }, signal)
    status = 500
    await assert.rejects(checker.check({ host: '127.0.0.1', port }, signal), /status 500/)
    status = 204
    await assert.rejects(checker.check({ host: '127.0.0.1', port }, signal), /status 204/)
    assert.equal(seen[0]?.url, '/ping?v=1')
    assert.equal(seen[0]?.headers.host, 'charts.test')
  } finally {
    await checker.close()
    server.closeAllConnections()
    server.close()
  }
})

test('http check with reuse keeps one connection across checks', async () => {
  const sockets = new Set<unknown>()
  const server = createServer((req, res) => {
    sockets.add(req.socket)
    res.end('ok')
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const checker = httpChecker(parseHealthCheck('http://h/ping?reuse'))
  try {
    for (let i = 0; i < 3; i++)
      await checker.check({ host: '127.0.0.1', port }, new AbortController().signal)
    assert.equal(sockets.size, 1)
  } finally {
    await checker.close()
    server.closeAllConnections()
    server.close()
  }
})

test('http check fails on a read timeout', async () => {
  const server = createServer(() => undefined).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const checker = httpChecker(parseHealthCheck('http://h/ping?read_timeout=100ms'))
  try {
    await assert.rejects(checker.check({ host: '127.0.0.1', port }, new AbortController().signal))
  } finally {
    await checker.close()
    server.closeAllConnections()
    server.close()
  }
})
