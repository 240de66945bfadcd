import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { test } from 'node:test'
import { tcpChecker } from '../../../../src/upstream/health/tcp.ts'

async function listen(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

test('tcp check passes against a listening socket', async () => {
  const server = await listen()
  try {
    await tcpChecker(1000).check(
      { host: '127.0.0.1', port: server.port },
      new AbortController().signal,
    )
  } finally {
    await server.close()
  }
})

test('tcp check fails against a closed port', async () => {
  const server = await listen()
  await server.close()
  await assert.rejects(
    tcpChecker(1000).check({ host: '127.0.0.1', port: server.port }, new AbortController().signal),
    /ECONNREFUSED/,
  )
})

test('tcp check rejects at once when aborted', async () => {
  const controller = new AbortController()
  controller.abort()
  await assert.rejects(
    tcpChecker(1000).check({ host: '127.0.0.1', port: 9 }, controller.signal),
    /aborted/,
  )
})
