/**
 * Compiles one `[locations.<name>]` into an immutable LocationMatcher: host entries, path rule,
 * extra conditions, rewrite and weight are all parsed and every regex built here, so a bad
 * value fails at load (and in `-t`) with the key path, never at request time (spec Q18).
 */
import type { LocationConf } from '../config/types.ts'
import { ConfigError } from '../core/errors.ts'
import { hashConfig } from '../core/hash.ts'
import { conditionsHold, parseConditions } from './conditions.ts'
import { describeHosts, matchHosts, parseHosts } from './host-rule.ts'
import type { Groups } from './host-rule.ts'
import { parsePathRule } from './path-rule.ts'
import { compileUserRegex } from './regex.ts'
import { compileRewrite } from './rewrite.ts'
import { NO_VARIABLES } from './types.ts'
import type { LocationMatcher, RouteInput } from './types.ts'
import { locationWeight } from './weight.ts'

const MAX_WEIGHT = 0xffff

/** Builds the matcher for `locations.<name>`; throws ConfigError naming the offending key. */
export function compileLocation(name: string, conf: LocationConf): LocationMatcher {
  const key = `locations.${name}`
  const weight = conf.weight
  if (weight !== undefined && !(Number.isInteger(weight) && weight >= 0 && weight <= MAX_WEIGHT)) {
    throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${key}.weight`, [
      `weight must be an integer from 0 to ${MAX_WEIGHT} (got ${weight})`,
    ])
  }
  const hostEntries = parseHosts(conf.host, `${key}.host`)
  const rule = parsePathRule(conf.path)
  const prefix = rule.kind === 'prefix' ? rule.value : undefined
  const exact = rule.kind === 'exact' ? rule.value : undefined
  const pathRe = rule.kind === 'regex' ? compileUserRegex(rule.pattern, `${key}.path`) : undefined
  const conditions = parseConditions(conf, key)
  const rewriter =
    conf.rewrite !== undefined && conf.rewrite !== ''
      ? compileRewrite(conf.rewrite, `${key}.rewrite`)
      : null

  // Cheap tests first, regexes last; the order cannot change the answer, only its cost.
  const match = (input: RouteInput): ReadonlyMap<string, string> | null => {
    const path = input.path
    if (prefix !== undefined && !path.startsWith(prefix)) return null
    if (exact !== undefined && path !== exact) return null
    let hostGroups: Groups | undefined
    if (hostEntries.length > 0) {
      const groups = matchHosts(hostEntries, input.host)
      if (groups === null) return null
      hostGroups = groups
    }
    if (conditions !== undefined && !conditionsHold(conditions, input)) return null
    let pathGroups: Groups | undefined
    if (pathRe !== undefined) {
      const m = pathRe.exec(path)
      if (m === null) return null
      pathGroups = m.groups
    }
    return toVariables(pathGroups, hostGroups)
  }

  return Object.freeze({
    name,
    conf,
    weight: locationWeight(conf),
    hash: hashConfig(conf),
    hosts: describeHosts(hostEntries),
    rewriter,
    match,
  })
}

/** Path captures first, then host captures (which win on a clash, as in Pingap). */
function toVariables(
  pathGroups: Groups | undefined,
  hostGroups: Groups | undefined,
): ReadonlyMap<string, string> {
  if (pathGroups === undefined && hostGroups === undefined) return NO_VARIABLES
  const variables = new Map<string, string>()
  for (const groups of [pathGroups, hostGroups]) {
    if (groups === undefined) continue
    for (const name in groups) {
      const value = groups[name]
      if (value !== undefined) variables.set(name, value)
    }
  }
  return variables.size === 0 ? NO_VARIABLES : variables
}
