/**
 * The request value a `hash:*` algorithm hashes (spec §3.2). Bare `hash` hashes the path, the
 * documented intent (decisions §3); any kind not listed below hashes the path too, as Pingap.
 */
import { cookieValue, headerValue, queryValue, type RequestContext } from '../../core/context.ts'
import { ConfigError } from '../../core/errors.ts'

/** Reads the value to hash from a request. */
export type HashKey = (ctx: RequestContext) => string

const byPath: HashKey = (ctx) => ctx.path

/**
 * The key reader for `algo` (`hash`, `hash:url`, `hash:header:X-User`...). `path` is the
 * dotted TOML path used when a named kind lacks its name.
 */
export function hashKeyFor(algo: string, path: string): HashKey {
  const [, kind = '', ...rest] = algo.split(':')
  const name = rest.join(':')
  const needName = (): void => {
    if (name === '') {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', path, [
        `"${algo}" needs a name, e.g. "hash:${kind}:<name>"`,
      ])
    }
  }
  switch (kind.toLowerCase()) {
    case 'url':
      return (ctx) => (ctx.query === '' ? ctx.path : `${ctx.path}?${ctx.query}`)
    case 'ip':
      return (ctx) => ctx.clientIp
    case 'header':
      needName()
      return (ctx) => headerValue(ctx.headers, name) ?? ''
    case 'cookie':
      needName()
      return (ctx) => cookieValue(ctx.headers, name) ?? ''
    case 'query':
      needName()
      return (ctx) => queryValue(ctx.query, name) ?? ''
    default:
      return byPath
  }
}
