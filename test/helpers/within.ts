/**
 * A wait with a deadline. A test that awaits an event with none (a socket's 'close', a
 * WebSocket's 'open') hangs the whole run when the event never comes; with one it fails, naming
 * what it was waiting for.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}
