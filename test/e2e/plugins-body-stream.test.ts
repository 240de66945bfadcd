/**
 * Issue 3: a body hook that edits every chunk of a streamed 50 MB response (so it replaces the
 * whole body) holds no more than a chunk. No built-in plugin edits chunks in place (sub_filter
 * buffers, with a cap), so the proxy runs from a fixture that adds a `chunk_edit` plugin to the
 * real registry; everything else is the production pipeline, in its own process, whose RSS is
 * sampled while the body streams. Both hooks are covered: the response-body hook and the
 * upstream-body hook.
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startUpstream, type TestUpstream } from '../helpers/upstreams.ts'

const MB = 1024 * 1024
const BIG = 50 * MB
/** The proxy process's RSS must stay under this while 50 MB pass (idle it is ~70 MB). */
const RSS_LIMIT = 150 * MB
const CHUNK = Buffer.alloc(64 * 1024, 'x')

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
}

/** Streams BIG bytes of `x` with back-pressure and a Content-Length. */
function bigBody(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(BIG) })
  let sent = 0
  const pump = (): void => {
    while (sent < BIG) {
      const n = Math.min(CHUNK.length, BIG - sent)
      sent += n
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once('drain', pump)
        return
      }
    }
    res.end()
  }
  pump()
}

interface Download {
  status: number
  size: number
  sha256: string
  peakRss: number
}

/** Downloads `path`, hashing the body, while sampling the proxy's RSS every 50 ms. */
function download(proxy: string, path: string, pid: number): Promise<Download> {
  let peakRss = rssOf(pid)
  const timer = setInterval(() => (peakRss = Math.max(peakRss, rssOf(pid))), 50)
  return new Promise<Download>((resolve, reject) => {
    const [host = '', port = ''] = proxy.split(':')
    const req = httpRequest({ host, port, path }, (res) => {
      const hash = createHash('sha256')
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        hash.update(chunk)
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, size, sha256: hash.digest('hex'), peakRss }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  }).finally(() => clearInterval(timer))
}

/** Starts the fixture proxy and resolves with its address once it listens. */
function startProxy(upstream: string): Promise<{ child: ChildProcess; addr: string }> {
  const script = fileURLToPath(new URL('./fixtures/body-stream-proxy.js', import.meta.url))
  const child = spawn(process.execPath, [script, upstream], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line !== undefined) resolve({ child, addr: (JSON.parse(line) as { addr: string }).addr })
    })
    child.once('exit', (code) => reject(new Error(`proxy fixture exited with ${code}`)))
  })
}

describe('a body hook that edits chunks streams a 50 MB response', () => {
  let upstream: TestUpstream
  let proxy: { child: ChildProcess; addr: string }
  const wanted = createHash('sha256').update(Buffer.alloc(BIG, 'y')).digest('hex')

  before(async () => {
    upstream = await startUpstream(bigBody, 'big')
    proxy = await startProxy(upstream.addr)
  })
  after(async () => {
    if (proxy !== undefined && proxy.child.exitCode === null) {
      const exited = new Promise((resolve) => proxy.child.once('exit', resolve))
      proxy.child.kill('SIGTERM')
      await exited
    }
    await upstream?.close()
  })

  for (const [hook, path] of [
    ['response-body', '/down'],
    ['upstream-body', '/up'],
  ] as const) {
    test(`${hook} hook: every byte edited, the proxy under 150 MB`, async (t) => {
      const pid = proxy.child.pid ?? 0
      const before = rssOf(pid)
      const got = await download(proxy.addr, path, pid)
      t.diagnostic(
        `proxy RSS ${Math.round(before / MB)} MB before, ${Math.round(got.peakRss / MB)} MB peak`,
      )
      assert.equal(got.status, 200)
      assert.equal(got.size, BIG)
      assert.equal(got.sha256, wanted, 'every x became y')
      assert.ok(got.peakRss < RSS_LIMIT, `proxy RSS peaked at ${Math.round(got.peakRss / MB)} MB`)
    })
  }
})
