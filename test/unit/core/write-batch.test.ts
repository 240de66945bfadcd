import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, connect, type Socket } from 'node:net'
import { test } from 'node:test'
import { endAtTurnEnd, holdWrites } from '../../../src/core/write-batch.ts'

/** A connected socket pair on 127.0.0.1; `received` collects what the server side reads. */
async function pair(): Promise<{ client: Socket; received: Buffer[]; close(): void }> {
  const received: Buffer[] = []
  const server = createServer((s) => s.on('data', (d: Buffer) => received.push(d)))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const client = connect(port, '127.0.0.1')
  await once(client, 'connect')
  return {
    client,
    received,
    close: () => {
      client.destroy()
      server.close()
    },
  }
}

test('held writes stay in the socket until the loop turn ends, then go out together', async () => {
  const p = await pair()
  try {
    holdWrites(p.client)
    p.client.write('a')
    p.client.write('b')
    assert.equal(p.client.writableLength, 2, 'both chunks are still buffered in this turn')
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(p.client.writableCorked, 0)
    const deadline = Date.now() + 2000
    while (Buffer.concat(p.received).toString() !== 'ab' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    assert.equal(Buffer.concat(p.received).toString(), 'ab')
  } finally {
    p.close()
  }
})

test('holding an already corked socket leaves its cork count alone', async () => {
  const p = await pair()
  try {
    p.client.cork()
    holdWrites(p.client)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(p.client.writableCorked, 1, 'the owner of the first cork still holds it')
    p.client.uncork()
  } finally {
    p.close()
  }
})

test('endAtTurnEnd ends streams at the end of the turn, with their last chunk', async () => {
  const calls: string[] = []
  const plain = { end: (chunk?: Buffer | string) => calls.push(`plain:${String(chunk)}`) }
  const withChunk = { end: (chunk?: Buffer | string) => calls.push(`chunk:${String(chunk)}`) }
  endAtTurnEnd(plain)
  endAtTurnEnd(withChunk, 'last')
  assert.deepEqual(calls, [], 'nothing ends during the turn')
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(calls, ['plain:undefined', 'chunk:last'])
})

test('a stream whose end() throws does not keep the rest of the batch from ending', async () => {
  const p = await pair()
  const warnings: Error[] = []
  const onWarning = (w: Error): number => warnings.push(w)
  process.on('warning', onWarning)
  try {
    let ended = false
    holdWrites(p.client)
    endAtTurnEnd({
      end: () => {
        throw new Error('boom')
      },
    })
    endAtTurnEnd({ end: () => (ended = true) })
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(ended, true)
    assert.equal(p.client.writableCorked, 0, 'the held socket was released')
    await new Promise((resolve) => setImmediate(resolve))
    assert.ok(warnings.some((w) => w.message === 'boom'))
  } finally {
    process.off('warning', onWarning)
    p.close()
  }
})
