/** Starts a throw-away `etcd` (Debian's etcd-server) on 127.0.0.1 with free ports and a temp dir. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Why etcd tests must skip, or undefined when the `etcd` binary is there. */
export const etcdMissing: string | undefined =
  spawnSync('etcd', ['--version']).status === 0
    ? undefined
    : 'etcd not installed (apt-get install etcd-server)'

/** A free TCP port on 127.0.0.1 (released before return). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** A running etcd. */
export interface EtcdServer {
  readonly url: string
  readonly clientPort: number
  /** Stops etcd (by PID) and waits for it to exit; the data dir is kept for start(). */
  stop(): Promise<void>
  /** Starts it again on the same ports and data dir. */
  start(): Promise<void>
  /** Stops it and removes the data dir. */
  close(): Promise<void>
}

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}`)
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })
      if (res.ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('etcd did not become healthy')
}

/** Starts etcd; the caller must `close()` it. */
export async function startEtcd(): Promise<EtcdServer> {
  const dir = await mkdtemp(join(tmpdir(), 'pgt-etcd-'))
  const clientPort = await freePort()
  const peerPort = await freePort()
  const url = `http://127.0.0.1:${clientPort}`
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    const proc = spawn(
      'etcd',
      [
        '--name',
        'test',
        '--data-dir',
        join(dir, 'data'),
        '--listen-client-urls',
        url,
        '--advertise-client-urls',
        url,
        '--listen-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peerPort}`,
        '--initial-cluster',
        `test=http://127.0.0.1:${peerPort}`,
      ],
      { stdio: 'ignore' },
    )
    child = proc
    await waitHealthy(url, proc)
  }
  const stop = async (): Promise<void> => {
    const proc = child
    child = undefined
    if (proc === undefined || proc.exitCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    if (proc.pid !== undefined) process.kill(proc.pid, 'SIGTERM')
    await exited
  }
  await start()
  return {
    url,
    clientPort,
    stop,
    start,
    close: async () => {
      await stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
