/** Public surface of the router folder: re-exports only. */
export { normalizePath } from './normalize-path.ts'
export { compileUserRegex } from './regex.ts'
export { locationWeight } from './weight.ts'
export { compileLocation } from './location.ts'
export { compileRewrite } from './rewrite.ts'
export { linearRouter } from './linear-router.ts'
export { indexedRouter, createRouter } from './indexed-router.ts'
export type {
  LocationHosts,
  LocationMatcher,
  RewriteResult,
  Rewriter,
  RouteInput,
  RouteMatch,
  ServerRouter,
} from './types.ts'
export { NO_VARIABLES } from './types.ts'
