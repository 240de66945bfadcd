/** The built-in plugin categories. Adding a plugin = one file + one line here + its doc page. */
import { PluginRegistry } from '../registry.ts'
import type { PluginFactory } from '../types.ts'
import { acceptEncoding } from './accept-encoding.ts'
import { adminPlugin, type AdminMountFactory } from './admin.ts'
import { basicAuth } from './basic-auth.ts'
import { cache } from './cache.ts'
import { combinedAuth } from './combined-auth.ts'
import { compression } from './compression.ts'
import { cors } from './cors.ts'
import { csrf } from './csrf.ts'
import { directory } from './directory.ts'
import { forwardAuth } from './forward-auth.ts'
import { geoRestriction } from './geo-restriction.ts'
import { imageOptim } from './image-optim.ts'
import { ipRestriction } from './ip-restriction.ts'
import { jwt } from './jwt.ts'
import { keyAuth } from './key-auth.ts'
import { limit } from './limit.ts'
import { mock } from './mock.ts'
import { ping } from './ping.ts'
import { redirect } from './redirect.ts'
import { refererRestriction } from './referer-restriction.ts'
import { requestId } from './request-id.ts'
import { responseHeaders } from './response-headers.ts'
import { stats } from './stats.ts'
import { subFilter } from './sub-filter.ts'
import { trafficSplitting } from './traffic-splitting.ts'
import { uaRestriction } from './ua-restriction.ts'

/** Every built-in category, in alphabetical order. */
export const BUILTIN_PLUGINS: readonly PluginFactory[] = [
  acceptEncoding,
  basicAuth,
  cache,
  combinedAuth,
  compression,
  cors,
  csrf,
  directory,
  forwardAuth,
  geoRestriction,
  imageOptim,
  ipRestriction,
  jwt,
  keyAuth,
  limit,
  mock,
  ping,
  redirect,
  refererRestriction,
  requestId,
  responseHeaders,
  stats,
  subFilter,
  trafficSplitting,
  uaRestriction,
] as readonly PluginFactory[]

export interface BuiltinOptions {
  /**
   * The handler factory of the `admin` category, given by the composition root (plugins do not
   * import the admin code); read on a mount's first request, so it may be bound late.
   */
  readonly adminMounts?: () => AdminMountFactory | undefined
}

/** A registry holding every built-in category. */
export function createBuiltinRegistry(options: BuiltinOptions = {}): PluginRegistry {
  const registry = new PluginRegistry()
  for (const factory of BUILTIN_PLUGINS) registry.register(factory)
  const mounts = options.adminMounts
  registry.register(adminPlugin(mounts ?? (() => undefined)))
  return registry
}

export { BUILTIN_PLUGIN_TABLES } from './defaults.ts'
