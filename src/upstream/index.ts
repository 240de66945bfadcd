/** The public face of src/upstream: what runtime and proxy wire in. */
export { createUpstream, TRANSPARENT_POOL_LIMIT } from './upstream.ts'
export { upstreamOptions } from './options.ts'
export { startHealthMonitor, type FlipListener } from './health/monitor.ts'
export { parseHealthCheck, type HealthCheckConf } from './health/parse.ts'
export { createSelector } from './selectors/index.ts'
export { parseBackendEntry, formatAddress } from './backend.ts'
export type { Backend, HealthMonitor, Selector, Upstream, UpstreamOptions } from './types.ts'
