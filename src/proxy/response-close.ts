/**
 * One 'close' listener per response for the proxy's own bookkeeping. Five parts of the request
 * path (connection gate, in-flight count, location counters, access log, upstream abort) each
 * need to know when a response is over; five `once` listeners cost five wrapper closures and
 * five listener insertions and removals per request, one listener and an array cost less.
 */
import type { ServerResponse } from 'node:http'

const CALLBACKS = Symbol('pingap.onClose')

type Tracked = ServerResponse & { [CALLBACKS]?: (() => void)[] }

/** Runs `callback` when `res` closes, after the callbacks registered before it. */
export function onResponseClose(res: ServerResponse, callback: () => void): void {
  const tracked = res as Tracked
  const callbacks = tracked[CALLBACKS]
  if (callbacks !== undefined) {
    callbacks.push(callback)
    return
  }
  const list = [callback]
  tracked[CALLBACKS] = list
  // 'close' is emitted once per response: `on` spares the once-wrapper and its removal.
  res.on('close', () => {
    // Every callback runs even when one throws (a gate left closed would stall the connection);
    // the first error is then rethrown as a listener's would be.
    let failure: Error | undefined
    for (const run of list) {
      try {
        run()
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err))
      }
    }
    if (failure !== undefined) throw failure
  })
}
