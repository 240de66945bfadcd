/**
 * undici's Client and Pool without the rest of the package. `import 'undici'` also loads fetch,
 * WebSocket, EventSource, the cache and mock agents; that alone keeps ~10 MB more resident in
 * every process (issue 4: idle RSS). The classes are the same objects `undici` exports (a unit
 * test checks it, so an undici upgrade that moves them fails the build, not production).
 */
import { createRequire } from 'node:module'
import type * as Undici from 'undici'

const requireModule = createRequire(import.meta.url)

// undici's index installs the request API (`request`, `stream`, …) on Dispatcher.prototype;
// doing the same with the API module alone keeps `client.request()` working.
const dispatcher = requireModule('undici/lib/dispatcher/dispatcher.js') as { prototype: object }
Object.assign(dispatcher.prototype, requireModule('undici/lib/api/index.js') as object)

/** undici's `Pool`. */
export const Pool = requireModule('undici/lib/dispatcher/pool.js') as typeof Undici.Pool
/** undici's `Client`. */
export const Client = requireModule('undici/lib/dispatcher/client.js') as typeof Undici.Client
/** An instance of undici's `Pool`. */
export type Pool = Undici.Pool
/** An instance of undici's `Client`. */
export type Client = Undici.Client
