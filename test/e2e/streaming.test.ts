/**
 * Bodies stream with back-pressure both ways: 200 MB up and 200 MB down through the proxy while
 * its resident memory stays under 150 MB; a WebSocket echo works through the tunnel.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { WebSocket, WebSocketServer } from 'ws'
import { startPingap, type Pingap } from '../helpers/start-pingap.ts'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const SIZE = 200 * 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 'x')
const RSS_LIMIT = 150 * 1024 * 1024

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb * 1024
}

/** Samples the proxy's RSS every 50 ms while `work` runs; resolves to the peak. */
async function peakRss(pid: number, work: Promise<unknown>): Promise<number> {
  let peak = rssOf(pid)
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid))
  }, 50)
  try {
    await work
  } finally {
    clearInterval(timer)
  }
  return Math.max(peak, rssOf(pid))
}

describe('streaming through the proxy', () => {
  let sink: TestUpstream
  let source: TestUpstream
  let pingap: Pingap
  let web: URL

  before(async () => {
    sink = await startUpstream((req, res) => {
      let bytes = 0
      req.on('data', (c: Buffer) => (bytes += c.length))
      req.on('end', () => res.end(String(bytes)))
    }, 'sink')
    source = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': SIZE })
      let sent = 0
      const pump = (): void => {
        while (sent < SIZE) {
          sent += CHUNK.length
          if (!res.write(CHUNK)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      pump()
    }, 'source')
    pingap = await startPingap(
      {
        'servers.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["up", "down"]\n',
        'locations.toml':
          '[locations.up]\npath = "/upload"\nupstream = "sink"\n\n[locations.down]\npath = "/download"\nupstream = "source"\n',
        'upstreams.toml': `[upstreams.sink]\naddrs = ["${sink.addr}"]\n\n[upstreams.source]\naddrs = ["${source.addr}"]\n`,
      },
      { waitFor: ['web'] },
    )
    web = new URL(pingap.servers.get('web')!)
  })

  after(async () => {
    await pingap.stop()
    await sink.close()
    await source.close()
  })

  test('a 200 MB chunked upload streams without buffering', async () => {
    const upload = new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: web.hostname,
          port: web.port,
          path: '/upload',
          method: 'POST',
          headers: { 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = ''
          res.on('data', (c: Buffer) => (body += c.toString()))
          res.on('end', () => resolve(body))
        },
      )
      req.on('error', reject)
      let sent = 0
      const pump = (): void => {
        while (sent < SIZE) {
          sent += CHUNK.length
          if (!req.write(CHUNK)) {
            req.once('drain', pump)
            return
          }
        }
        req.end()
      }
      pump()
    })
    const peak = await peakRss(pingap.child.pid!, upload)
    assert.equal(await upload, String(SIZE))
    assert.ok(peak < RSS_LIMIT, `proxy RSS peaked at ${Math.round(peak / 1048576)} MB`)
  })

  test('a 200 MB download streams to a slow reader without buffering', async () => {
    const download = new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: web.hostname, port: web.port, path: '/download' }, (res) => {
        let bytes = 0
        res.on('data', (c: Buffer) => {
          bytes += c.length
          // A slow reader: pause briefly now and then so back-pressure must reach the upstream.
          if (bytes % (8 * 1024 * 1024) < c.length) {
            res.pause()
            setImmediate(() => res.resume())
          }
        })
        res.on('end', () => resolve(bytes))
      })
      req.on('error', reject)
      req.end()
    })
    const peak = await peakRss(pingap.child.pid!, download)
    assert.equal(await download, SIZE)
    assert.ok(peak < RSS_LIMIT, `proxy RSS peaked at ${Math.round(peak / 1048576)} MB`)
  })
})

describe('WebSocket', () => {
  test('an echo works through the proxy, after the upstream answered 101', async () => {
    const up = await startUpstream((_req, res) => res.end('not a websocket'), 'ws')
    const wss = new WebSocketServer({ server: up.server })
    wss.on('connection', (socket, req) => {
      socket.on('message', (data: Buffer) =>
        socket.send(`echo ${req.url ?? ''} ${data.toString()}`),
      )
    })
    const pingap = await startPingap(
      {
        'servers.toml': '[servers.web]\naddr = "127.0.0.1:0"\nlocations = ["ws"]\n',
        'locations.toml':
          '[locations.ws]\npath = "/ws"\nupstream = "app"\nrewrite = "^/ws/(.*)$ /$1"\n',
        'upstreams.toml': `[upstreams.app]\naddrs = ["${up.addr}"]\n`,
      },
      { waitFor: ['web'] },
    )
    try {
      const base = pingap.servers.get('web')!.replace('http://', 'ws://')
      const client = new WebSocket(`${base}/ws/chat?room=1`)
      const reply = await new Promise<string>((resolve, reject) => {
        client.once('open', () => client.send('hello'))
        client.once('message', (data: Buffer) => resolve(data.toString()))
        client.once('error', reject)
      })
      assert.equal(reply, 'echo /chat?room=1 hello')
      client.close()
      // A plain request to the same upstream is an ordinary response, not a tunnel.
      const refused = new WebSocket(`${base}/nowhere`)
      const status = await new Promise<number>((resolve) => {
        refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
        refused.once('error', () => resolve(-1))
      })
      assert.equal(status, 404)
    } finally {
      await pingap.stop()
      wss.close()
      await up.close()
    }
  })
})
