/** Polls `check` until it stops throwing or the deadline passes (tests never sleep a fixed time). */
import { setTimeout as delay } from 'node:timers/promises'

export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      return await check()
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw last
    await delay(everyMs)
  }
}
