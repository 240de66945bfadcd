/** Compiles a location's proxy header settings (spec §2.7) into rules applied per request. */
import { ConfigError } from '../core/errors.ts'
import { compileHeaderValue, parseHeaderEntry } from '../core/header-value.ts'
import type { LocationConf } from '../config/types.ts'
import type { HeaderRule, HeaderRules } from './snapshot.ts'

function compileEntries(entries: readonly string[] | undefined, path: string): HeaderRule[] {
  return (entries ?? []).map((entry, i) => {
    const parsed = parseHeaderEntry(entry)
    if (parsed === undefined) {
      throw new ConfigError('PGT_ERR_CONFIG_INVALID', `${path}[${i}]`, [
        `header "${entry}" is invalid (expected "Name: value")`,
      ])
    }
    return { name: parsed[0], value: compileHeaderValue(parsed[1]) }
  })
}

/** The location's header rules, or null when it sets none (the hot path then skips them). */
export function buildHeaderRules(conf: LocationConf, path: string): HeaderRules | null {
  const set = compileEntries(conf.proxy_set_headers, `${path}.proxy_set_headers`)
  const add = compileEntries(conf.proxy_add_headers, `${path}.proxy_add_headers`)
  const reverseProxy = conf.enable_reverse_proxy_headers === true
  if (!reverseProxy && set.length === 0 && add.length === 0) return null
  return { reverseProxy, set, add }
}
