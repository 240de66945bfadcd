/**
 * undici's Client and Pool without the rest of the package. `import 'undici'` also loads fetch,
 * WebSocket, EventSource, the cache and mock agents; that alone keeps ~10 MB more resident in
 * every process (issue 4: idle RSS). The classes are the same objects `undici` exports (a unit
 * test checks it, so an undici upgrade that moves them fails the build, not production).
 */
import type * as Undici from 'undici'
import api from 'undici/lib/api/index.js'
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js'
import ClientClass from 'undici/lib/dispatcher/client.js'
import PoolClass from 'undici/lib/dispatcher/pool.js'

// undici's index installs the request API (`request`, `stream`, …) on Dispatcher.prototype;
// doing the same with the API module alone keeps `client.request()` working. Static imports
// (undici has no `exports` map, so its files are importable) also let the single-executable
// bundler include them.
Object.assign(DispatcherClass.prototype, api)

/** undici's `Pool`. */
export const Pool = PoolClass
/** undici's `Client`. */
export const Client = ClientClass
/** An instance of undici's `Pool`. */
export type Pool = Undici.Pool
/** An instance of undici's `Client`. */
export type Client = Undici.Client
