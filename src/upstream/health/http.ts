/**
 * The HTTP(S) probe: `GET <path>` with the check URL's `Host`; healthy iff the status is 200.
 * The body is drained so a reused connection stays usable. HTTPS skips certificate checks, as
 * Pingap does: the probe asks "is it up", not "is it trusted".
 */
import { isIP } from 'node:net'
import { Client } from '../../core/undici-lite.ts'
import { formatAddress } from '../backend.ts'
import type { HealthChecker } from '../types.ts'
import type { HealthCheckConf } from './parse.ts'

/** A checker that can also release kept-alive probe connections. */
export interface ClosableChecker extends HealthChecker {
  close(): Promise<void>
}

function newClient(conf: HealthCheckConf, host: string, port: number): Client {
  const servername = new URL(`http://${conf.host}`).hostname
  return new Client(`${conf.tls ? 'https' : 'http'}://${formatAddress(host, port)}`, {
    pipelining: 1,
    headersTimeout: conf.readTimeoutMs,
    bodyTimeout: conf.readTimeoutMs,
    connect: {
      timeout: conf.connectTimeoutMs,
      ...(conf.tls ? { rejectUnauthorized: false } : {}),
      ...(conf.tls && servername !== '' && isIP(servername) === 0 ? { servername } : {}),
    },
  })
}

/** An HTTP checker for a parsed `http://` or `https://` health check. */
export function httpChecker(conf: HealthCheckConf): ClosableChecker {
  // With `reuse`, one client per backend address stays open between checks.
  const kept = new Map<string, Client>()
  return {
    kind: 'http',
    async check(backend, signal) {
      const address = formatAddress(backend.host, backend.port)
      let client = conf.reuse ? kept.get(address) : undefined
      if (client === undefined) {
        client = newClient(conf, backend.host, backend.port)
        if (conf.reuse) kept.set(address, client)
      }
      try {
        const res = await client.request({
          method: 'GET',
          path: conf.path,
          headers: conf.host === '' ? {} : { host: conf.host },
          signal,
        })
        await res.body.dump()
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
      } catch (err) {
        // A failed kept connection is dropped, so the next check starts afresh.
        if (conf.reuse) {
          kept.delete(address)
          await client.destroy().catch(() => undefined)
        }
        throw err
      } finally {
        if (!conf.reuse) await client.destroy().catch(() => undefined)
      }
    },
    async close() {
      const clients = [...kept.values()]
      kept.clear()
      await Promise.all(clients.map((c) => c.destroy().catch(() => undefined)))
    },
  }
}
