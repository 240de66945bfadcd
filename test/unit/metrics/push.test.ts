import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { Pushers, pushOnce } from '../../../src/metrics/push.ts'
import { parsePrometheusTarget } from '../../../src/metrics/target.ts'
import { eventually } from '../../helpers/eventually.ts'

async function receiver(status = 200) {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> =
    []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      res.statusCode = status
      res.end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return { seen, port, close: () => new Promise<void>((r) => server.close(() => r())) }
}

function pushTarget(url: string) {
  const t = parsePrometheusTarget(url, 'x')
  assert.ok(t?.kind === 'push')
  return t
}

describe('metrics push', () => {
  test('POSTs the text with basic auth to the URL path', async () => {
    const r = await receiver()
    try {
      const t = pushTarget(`http://u:p@127.0.0.1:${r.port}/metrics/job/pingap?interval=1s`)
      await pushOnce(t, 'a_total 1\n', 'text/plain; version=0.0.4')
      assert.equal(r.seen.length, 1)
      const got = r.seen[0]!
      assert.equal(got.method, 'POST')
      assert.equal(got.url, '/metrics/job/pingap')
      assert.equal(got.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`)
      assert.equal(got.body, 'a_total 1\n')
    } finally {
      await r.close()
    }
  })

  test('a non-2xx answer rejects', async () => {
    const r = await receiver(500)
    try {
      const t = pushTarget(`http://127.0.0.1:${r.port}/m?interval=1s`)
      await assert.rejects(pushOnce(t, 'x 1\n', 'text/plain'), /500/)
    } finally {
      await r.close()
    }
  })

  test('pushers push on their interval and once more on close', async () => {
    const r = await receiver()
    let n = 0
    const pushers = new Pushers(() => Promise.resolve(`n ${++n}\n`), 'text/plain')
    try {
      pushers.sync([pushTarget(`http://127.0.0.1:${r.port}/m?interval=1s`)])
      await eventually(() => assert.ok(r.seen.length >= 1), 5000)
      const before = r.seen.length
      await pushers.close()
      assert.equal(r.seen.length, before + 1)
      assert.equal(r.seen.at(-1)?.body, `n ${n}\n`)
    } finally {
      await r.close()
    }
  })
})
