/** The TCP connect probe: healthy when a connection opens within the connect timeout. */
import { connect } from 'node:net'
import type { HealthChecker } from '../types.ts'

/** A checker that opens and immediately closes a TCP connection to the backend. */
export function tcpChecker(connectTimeoutMs: number): HealthChecker {
  return {
    kind: 'tcp',
    check(backend, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(new Error('health check aborted'))
          return
        }
        const socket = connect({ host: backend.host, port: backend.port })
        const finish = (err?: Error): void => {
          clearTimeout(timer)
          signal.removeEventListener('abort', onAbort)
          socket.destroy()
          if (err === undefined) resolve()
          else reject(err)
        }
        const onAbort = (): void => finish(new Error('health check aborted'))
        const timer = setTimeout(
          () => finish(new Error(`connect timed out after ${connectTimeoutMs}ms`)),
          connectTimeoutMs,
        )
        signal.addEventListener('abort', onAbort, { once: true })
        socket.once('connect', () => finish())
        socket.once('error', (err) => finish(err))
      })
    },
  }
}
