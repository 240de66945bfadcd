/**
 * Types of the undici files core/undici-lite.ts imports directly (undici ships types for its
 * package entry only).
 */
declare module 'undici/lib/api/index.js' {
  const api: Record<string, unknown>
  export default api
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  const Dispatcher: { prototype: object }
  export default Dispatcher
}
declare module 'undici/lib/dispatcher/client.js' {
  import type { Client } from 'undici'
  const ClientClass: typeof Client
  export default ClientClass
}
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici'
  const PoolClass: typeof Pool
  export default PoolClass
}
