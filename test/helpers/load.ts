/**
 * A bounded load generator for reload tests: `concurrency` keep-alive clients loop on one URL
 * until stopped, recording every status and error. Used to prove "zero failed requests".
 */
import { Agent } from 'node:http'
import { request } from './http.ts'

export interface LoadResult {
  readonly total: number
  readonly failures: ReadonlyArray<string>
}

export interface Load {
  stop(): Promise<LoadResult>
}

/** Starts the load; every response must have status `expect` or it counts as a failure. */
export function startLoad(base: string, path: string, concurrency = 8, expect = 200): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  let running = true
  let total = 0
  const failures: string[] = []
  const worker = async (): Promise<void> => {
    while (running) {
      try {
        const res = await request(base, path, { agent })
        total++
        if (res.status !== expect) failures.push(`status ${res.status}: ${res.body.slice(0, 200)}`)
      } catch (err) {
        total++
        failures.push(`error: ${err instanceof Error ? err.message : String(err)}`)
      }
    }
  }
  const workers = Array.from({ length: concurrency }, () => worker())
  return {
    async stop() {
      running = false
      await Promise.all(workers)
      agent.destroy()
      return { total, failures }
    },
  }
}
